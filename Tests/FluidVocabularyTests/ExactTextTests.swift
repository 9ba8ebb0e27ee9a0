import FluidVocabulary
import XCTest

/// Option values and spec strings are written with `exactText` so they read back the same.
final class ExactTextTests: XCTestCase {
    func testWholeNumbersHaveNoFractionAndOthersStayExact() {
        XCTAssertEqual(3.0.exactText, "3")
        XCTAssertEqual((-40.0).exactText, "-40")
        XCTAssertEqual(2.5.exactText, "2.5")
        XCTAssertEqual(0.001.exactText, "0.001")
        for x in [2.5, 0.1, 123.456, 1e-7, 3e20] { XCTAssertEqual(Double(x.exactText), x, "\(x) does not read back") }
    }

    func testHugeAndOddValuesDoNotTrap() {
        XCTAssertEqual(1e300.exactText, "1e+300")
        XCTAssertEqual(Double.infinity.exactText, "inf")
        XCTAssertEqual(Double.nan.exactText, "nan")
    }
}
