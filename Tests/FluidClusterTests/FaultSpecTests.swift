import XCTest
import FluidModel
import FluidCluster

final class FaultSpecTests: XCTestCase {
    func testParsesAndSortsByTime() throws {
        let f = try FaultSpec.parse("revive:master@10, kill:master@5,hang:worker@1.5")
        XCTAssertEqual(f, [ScheduledFault(Fault(.hang, .worker), at: 1.5), ScheduledFault(Fault(.kill, .master), at: 5),
                           ScheduledFault(Fault(.revive, .master), at: 10)])
        XCTAssertEqual(try FaultSpec.parse(""), [])
    }

    func testClearErrors() {
        for bad in ["kill:master", "explode:master@1", "kill:toaster@1", "kill:master@-1", "kill:master@x", "kill@1", "kill:master@1,,"] {
            XCTAssertThrowsError(try FaultSpec.parse(bad), bad) { e in
                XCTAssertTrue("\(e)".contains("expected ACTION:DEVICE@SECONDS"), "\(e)")
            }
        }
    }
}
