import Foundation
import XCTest

/// Partitions with real processes (docs/cluster.md, "Link cuts"): `fluid run --faults
/// cut:LINK@S,heal:LINK@S` makes a link drop every byte both ways without closing — the
/// source's own links inside `fluid run`, the Master ↔ Worker link inside both nodes
/// (SIGUSR1 / SIGUSR2). Each cut kind once: the plan served during the cut, nothing lost,
/// answers (or explicit *unavailable*) while it lasts, the full plan back within 1 s of
/// the heal.
final class LinkCutProcessTests: XCTestCase {
    func runCut(kind: String, mode: String, link: String, during: String, after: String,
                predictsDuringCut: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let (cut, heal) = (1.0, 3.5)
        let (code, out, err) = try FluidBinary.run(["run", "--headless", "--kind", kind, "--mode", mode, "--duration", "5.5",
                                                    "--faults", "cut:\(link)@\(cut),heal:\(link)@\(heal)"])
        XCTAssertEqual(code, 0, "fluid run failed: \(err.suffix(2000))", file: file, line: line)
        let s = try Session(out)
        let context = "\(kind)/\(mode) cut \(link): plans \(s.plans.map { "\($0.t):\($0.plan)" })"
        guard let summary = s.summary else { return XCTFail("no summary; \(context)", file: file, line: line) }
        // Exactly one answer per request, whatever the partition.
        XCTAssertEqual(summary["lost"] as? Int, 0, context, file: file, line: line)
        XCTAssertEqual(summary["sent"] as? Int, summary["answered"] as? Int, context, file: file, line: line)
        XCTAssertEqual(summary["duplicates"] as? Int, 0, context, file: file, line: line)

        // Detected within 0.5 s: the plan served from then until the heal.
        XCTAssertEqual(s.plans(after: cut + 0.5).first, during, context, file: file, line: line)
        let cutSamples = s.samples.filter { let t = $0["t"] as? Double ?? 0; return t >= cut + 1.5 && t <= heal }
        XCTAssertFalse(cutSamples.isEmpty, context, file: file, line: line)
        for sample in cutSamples {
            XCTAssertEqual(sample["plan"] as? String, during, "sample at \(sample["t"] ?? "?"); \(context)", file: file, line: line)
            let served = (sample["throughput"] as? Double ?? 0) + (sample["unavailable"] as? Double ?? 0)
            XCTAssertGreaterThan(served, 0, "nothing answered during the cut at \(sample["t"] ?? "?"): a stall; \(context)",
                                 file: file, line: line)
            if predictsDuringCut {
                XCTAssertGreaterThan(sample["throughput"] as? Double ?? 0, 0, "no predictions during the cut; \(context)", file: file, line: line)
            } else {
                XCTAssertEqual(sample["throughput"] as? Double ?? -1, 0, "predictions although nothing may serve; \(context)", file: file, line: line)
            }
        }
        // The healed link restores the full plan within 1 s.
        XCTAssertEqual(s.plans(after: heal + 1.0).first, after, context, file: file, line: line)
        let recoveries = summary["recoveries"] as? [[String: Any]] ?? []
        let r = recoveries.first { $0["action"] as? String == "heal" }
        XCTAssertLessThan(r?["redeploy_ms"] as? Double ?? .infinity, 1000, context, file: file, line: line)
        // Plans never tie: a plan event's epoch names one plan (null for a combination).
        var byEpoch: [Int: String] = [:]
        for e in s.events("plan") {
            guard let epoch = e["epoch"] as? Int, let plan = e["plan"] as? String else { continue }
            if let seen = byEpoch[epoch] { XCTAssertEqual(seen, plan, "epoch \(epoch) names two plans; \(context)", file: file, line: line) }
            byEpoch[epoch] = plan
        }
    }

    /// Fluid, Master ↔ Worker cut: both halves serve on their own (the effect of ht-50+u50).
    func testFluidMasterWorkerCutKeepsBothHalvesServing() throws {
        try runCut(kind: "fluid", mode: "ha", link: "master-worker", during: "ht-50+u50", after: "ha-100")
    }

    /// Fluid, source ↔ Master cut in HA: the Worker serves this source with u50.
    func testFluidSourceMasterCutServesTheWorkersHalf() throws {
        try runCut(kind: "fluid", mode: "ha", link: "source-master", during: "solo-u50", after: "ha-100")
    }

    /// Fluid HT, source ↔ Worker cut: the Master's half goes on.
    func testFluidSourceWorkerCutInHTKeepsTheMastersHalf() throws {
        try runCut(kind: "fluid", mode: "ht", link: "source-worker", during: "solo-50", after: "ht-50+u50")
    }

    /// Static, Master ↔ Worker cut: nothing valid runs; every request answered unavailable.
    func testStaticMasterWorkerCutStopsWithExplicitAnswers() throws {
        try runCut(kind: "static", mode: "ha", link: "master-worker", during: "none", after: "ha-100", predictsDuringCut: false)
    }

    /// Dynamic, source ↔ Master cut: the Worker holds no network of its own: unavailable.
    func testDynamicSourceMasterCutStopsWithExplicitAnswers() throws {
        try runCut(kind: "dynamic", mode: "ha", link: "source-master", during: "none", after: "ha-100", predictsDuringCut: false)
    }
}
