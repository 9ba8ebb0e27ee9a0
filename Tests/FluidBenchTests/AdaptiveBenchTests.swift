import FluidBench
import FluidCluster
import Foundation
import XCTest

/// `fluid bench adaptive`'s arithmetic and its `--json` contract (issue 14): seconds in SLO
/// violation, per phase and overall, and the three checks, from per-second samples. The
/// cluster runs themselves are measured, never asserted (`make bench`).
final class AdaptiveBenchTests: XCTestCase {
    /// One second ending at `t` (s after t0 = 100).
    func sample(_ t: Double, served: Double, p99: Double, unavailable: Double = 0, correct: Double = 0.99, plan: Plan = .ha100) -> Sample {
        Sample(t: 100 + t, throughput: served, accuracy: correct, unavailablePerSecond: unavailable, plan: plan, mode: .ha,
               master: DeviceSample(state: .up), worker: DeviceSample(state: .up), latencyP50Ms: 1, latencyP99Ms: p99,
               sent: 0, answered: 0, outstanding: 0, sourceBytesOut: 0, sourceBytesIn: 0, offeredRate: 1_000,
               correct: Int((served * correct).rounded()))
    }

    func run(_ name: String, _ p99: (Int) -> Double, unavailable: (Int) -> Double = { _ in 0 }, correct: Double, lost: Int = 0) -> AdaptiveBench.Run {
        let samples = (1...36).map { sample(Double($0), served: 1_000, p99: p99($0), unavailable: unavailable($0), correct: correct) }
        return AdaptiveBench.report(name: name, samples: samples, t0: 100, capacity: 10_000, slo: 50,
                                    phases: AdaptiveBench.phases(scale: 1), lost: lost)
    }

    func testViolationSecondsPhasesChecksAndJSON() throws {
        // Fixed HA: over the SLO from second 5 to 14 (10 s). Fixed HT: never. Adaptive: one
        // second with 2 % of its answers unavailable (a violation though p99 is fine).
        let ha = run("fixed-ha", { (5...14).contains($0) ? 900 : 10 }, correct: 0.991)
        let ht = run("fixed-ht", { _ in 2 }, correct: 0.985)
        let adaptive = run("adaptive", { _ in 3 }, unavailable: { $0 == 25 ? 20 : 0 }, correct: 0.988)
        XCTAssertEqual(ha.sloViolationS, 10)
        XCTAssertEqual(ht.sloViolationS, 0)
        XCTAssertEqual(adaptive.sloViolationS, 1)
        XCTAssertEqual(ha.phases.map(\.name), ["ramp-up", "slow-worker", "ramp-down", "master-failure"])
        // Seconds 5–10 in the ramp-up, 11–14 in the slow-worker phase.
        XCTAssertEqual(ha.phases.map(\.sloViolationS), [6, 4, 0, 0])
        XCTAssertEqual(adaptive.phases.map(\.sloViolationS), [0, 0, 1, 0])
        XCTAssertEqual(ha.p99Ms, 900)
        XCTAssertEqual(try XCTUnwrap(adaptive.accuracy), 0.988, accuracy: 1e-9)

        var report = AdaptiveBench.Report(date: "d", machine: BenchMachine.current(), command: "c", sloP99Ms: 50, haCapacity: 10_000,
                                          runs: [ha, ht, adaptive])
        XCTAssertEqual(report.checks.map(\.pass), [false, true, true, true], "\(report.checks)")
        report.runs[2] = run("adaptive", { _ in 3 }, correct: 0.988, lost: 1)
        XCTAssertEqual(report.checks.map(\.pass), [true, true, true, false], "\(report.checks)")
        report.runs[2] = run("adaptive", { _ in 3 }, correct: 0.984)
        XCTAssertEqual(report.checks.map(\.pass), [true, true, false, true], "\(report.checks)")

        // --json: {"runs": [{"name", "goodput", "accuracy", "p99_ms", "slo_violation_s", "lost", "phases"}, …]}
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: report.jsonData(pretty: false)) as? [String: Any])
        let runs = try XCTUnwrap(object["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.compactMap { $0["name"] as? String }, ["fixed-ha", "fixed-ht", "adaptive"])
        for r in runs {
            for key in ["goodput", "accuracy", "p99_ms", "slo_violation_s", "lost", "phases"] { XCTAssertNotNil(r[key], key) }
            XCTAssertEqual((r["phases"] as? [[String: Any]])?.count, 4)
        }
        XCTAssertEqual(runs[0]["slo_violation_s"] as? Int, 10)
        XCTAssertEqual(try XCTUnwrap(runs[0]["goodput"] as? Double), 1_000, accuracy: 1e-9)
        XCTAssertTrue(report.markdown.contains("| fixed-ha | 1000 | 99.10 % | 900.0 | 10 | 0 |"), report.markdown)
    }
}
