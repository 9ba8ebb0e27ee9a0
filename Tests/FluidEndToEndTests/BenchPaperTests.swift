import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// `fluid bench paper` end to end on a tiny configuration (Static on loopback, 1 s windows):
/// real node processes, real SIGKILLs. Checks the docs/cli.md JSON shape, that the rows where
/// docs/cluster.md says Static stops are exactly 0 img/s with every request answered unavailable,
/// that the rows where it runs predict, and that the three result files are written (the
/// chart is well-formed XML). No speed is asserted.
final class BenchPaperTests: XCTestCase {
    static let packageRoot = FluidBinary.packageRoot
    static let binary = packageRoot.appendingPathComponent(".build/release/fluid").path

    func testTinyPaperBenchShapeAndStoppedRowsAreZero() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            return XCTFail("\(Self.binary) is missing: build it first (`make test` does)")
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fluid-bench-paper-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.currentDirectoryURL = Self.packageRoot
        p.arguments = ["bench", "paper", "--json", "--kinds", "static", "--links", "loopback",
                       "--warmup", "0.3", "--window", "1", "--accuracy-images", "300", "--accuracy-cap", "2",
                       "--rounds", "1", "--out", out.path]
        let stdout = Pipe(), stderr = Pipe()
        p.standardOutput = stdout
        p.standardError = stderr
        try p.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, errText)

        let top = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], "stdout is not one JSON object")
        for key in ["date", "machine", "command", "rows", "checks", "settings", "links", "models"] {
            XCTAssertNotNil(top[key], "missing \(key)")
        }
        let rows = try XCTUnwrap(top["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 4, "one row per scenario")
        var byScenario: [String: [String: Any]] = [:]
        for r in rows {
            XCTAssertEqual(r["kind"] as? String, "static")
            XCTAssertEqual(r["link"] as? String, "loopback")
            XCTAssertNotNil(r["img_per_s"] as? Double, "img_per_s must be a number: \(r)")
            XCTAssertTrue(r.keys.contains("accuracy"))
            XCTAssertNil(r["error"], "row failed: \(r)")
            byScenario[r["scenario"] as? String ?? "?"] = r
        }
        XCTAssertEqual(Set(byScenario.keys), ["master-only", "worker-only", "both-ha", "both-ht"])
        for s in ["master-only", "worker-only"] {
            let r = try XCTUnwrap(byScenario[s])
            XCTAssertEqual(r["img_per_s"] as? Double, 0, "Static has no plan with one device: \(s) must be exactly 0 img/s")
            XCTAssertGreaterThan(r["unavailable_per_s"] as? Double ?? 0, 0, "\(s): requests must be answered unavailable, not left hanging")
            XCTAssertEqual(r["plan"] as? String, "none")
            XCTAssertTrue(r["accuracy"] is NSNull, "a stopped row has no accuracy")
        }
        for s in ["both-ha", "both-ht"] {
            let r = try XCTUnwrap(byScenario[s])
            XCTAssertGreaterThan(r["img_per_s"] as? Double ?? 0, 0, "\(s) runs ha-100 and must predict")
            XCTAssertEqual(r["plan"] as? String, "ha-100")
            XCTAssertGreaterThan(r["accuracy"] as? Double ?? 0, 0.5, "\(s): accuracy of the real model")
            XCTAssertEqual(r["lost"] as? Int, 0)
        }
        let checks = try XCTUnwrap(top["checks"] as? [[String: Any]])
        let stopCheck = try XCTUnwrap(checks.first { ($0["name"] as? String)?.hasPrefix("stops where") == true })
        XCTAssertEqual(stopCheck["pass"] as? Bool, true)

        for f in ["paper.json", "paper.md", "paper.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), "\(f) not written")
        }
        let md = try String(contentsOf: out.appendingPathComponent("paper.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("| Static |") && md.contains("**0** (stops)"), md)
        let svg = try Data(contentsOf: out.appendingPathComponent("paper.svg"))
        let parser = XMLParser(data: svg)
        XCTAssertTrue(parser.parse(), "paper.svg is not well-formed XML: \(String(describing: parser.parserError))")
    }
}
