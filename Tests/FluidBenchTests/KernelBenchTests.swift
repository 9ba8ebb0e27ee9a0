import XCTest
import Foundation
import FluidBench

/// `fluid bench kernels --json` shape (docs/cli.md). Speed itself is never asserted.
final class KernelBenchTests: XCTestCase {
    func testReportHasTheContractedShape() throws {
        let report = KernelBench.run(rounds: 1, repeats: 1, minSeconds: 0.0005)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        let object = try XCTUnwrap(json)
        XCTAssertGreaterThan(try XCTUnwrap(object["peak_gflops"] as? Double), 0)
        let rows = try XCTUnwrap(object["forward"] as? [[String: Any]])
        let keys = Set(rows.map { "\($0["C"] as? Int ?? -1)/\($0["batch"] as? Int ?? -1)" })
        XCTAssertEqual(keys, ["4/1", "4/64", "8/1", "8/64", "16/1", "16/64"])
        for row in rows {
            XCTAssertGreaterThan(row["img_per_s"] as? Double ?? 0, 0)
            XCTAssertGreaterThan(row["gflops"] as? Double ?? 0, 0)
            XCTAssertNotNil(row["pct_peak"] as? Double)
            let layers = try XCTUnwrap(row["layer_gflops"] as? [String: Double])
            XCTAssertEqual(Set(layers.keys), ["conv1", "conv2", "conv3", "fc"])
        }
        let train = try XCTUnwrap(object["train"] as? [String: Any])
        XCTAssertEqual(train["C"] as? Int, 16)
        XCTAssertEqual(train["batch"] as? Int, 64)
        XCTAssertGreaterThan(train["img_per_s"] as? Double ?? 0, 0)

        let table = KernelBench.table(report)
        XCTAssertTrue(table.contains("FMA peak"))
        XCTAssertEqual(table.split(separator: "\n").filter { $0.hasPrefix(" 16") }.count, 2)
    }
}
