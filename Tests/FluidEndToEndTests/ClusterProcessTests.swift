import FluidModel
import Foundation
import XCTest

/// docs/cluster.md with real processes: `fluid run --headless` starts two `fluid node`
/// processes, the fault SPEC SIGKILLs / SIGSTOPs / SIGCONTs / restarts them mid-stream,
/// and the session log must show the plans of the table, nothing lost, detection within
/// 500 ms and the larger plan back within 1 s of a revive or resume (docs/cluster.md
/// invariants 1–3; these bounds are the specification, not speed measurements).
final class ClusterProcessTests: XCTestCase {
    struct Step {
        var fault: String   // e.g. "kill:worker"
        var at: Double
        /// Plan expected after the fault has been detected (kill/hang) or recovered (revive/resume).
        var plan: String
    }

    func runScenario(kind: String, mode: String, duration: Double, steps: [Step], initial: String,
                     file: StaticString = #filePath, line: UInt = #line) throws -> Session {
        let spec = steps.map { "\($0.fault)@\($0.at)" }.joined(separator: ",")
        let (code, out, err) = try FluidBinary.run(["run", "--headless", "--kind", kind, "--mode", mode,
                                                    "--duration", "\(duration)", "--faults", spec])
        XCTAssertEqual(code, 0, "fluid run failed: \(err.suffix(2000))", file: file, line: line)
        let s = try Session(out)
        XCTAssertEqual(s.header?["format"] as? String, "fluid-session", file: file, line: line)
        XCTAssertEqual(s.header?["version"] as? Int, 1, file: file, line: line)
        // The header names the weights the nodes loaded by their SHA-256.
        let weights = FluidBinary.packageRoot.appendingPathComponent("Assets/models/\(kind).safetensors").path
        XCTAssertEqual(s.header?["weights_sha256"] as? String, try ModelFile.load(path: weights).sha256, file: file, line: line)
        guard let summary = s.summary else { XCTFail("no summary line", file: file, line: line); return s }
        let context = "\(kind)/\(mode) plans \(s.plans.map { "\($0.t):\($0.plan)" })"

        // Invariant 2: every request answered exactly once.
        XCTAssertEqual(summary["lost"] as? Int, 0, context, file: file, line: line)
        XCTAssertEqual(summary["sent"] as? Int, summary["answered"] as? Int, context, file: file, line: line)
        XCTAssertGreaterThan(summary["predicted"] as? Int ?? 0, 0, context, file: file, line: line)
        // The plan in force when traffic starts (nodes announce a solo plan before they meet).
        XCTAssertEqual(s.plans(after: 0.5).first, initial, context, file: file, line: line)

        let downs = s.events("device-down")
        let ups = s.events("device-up")
        for step in steps {
            let parts = step.fault.split(separator: ":").map(String.init)
            let (action, device) = (parts[0], parts[1])
            switch action {
            case "kill", "hang":
                // Invariant 1: detected, by the right mechanism, within 500 ms.
                guard let d = downs.first(where: { $0["device"] as? String == device && ($0["t"] as? Double ?? 0) >= step.at - 0.05 }) else {
                    XCTFail("\(step.fault)@\(step.at): no device-down event; \(context)", file: file, line: line); continue
                }
                XCTAssertEqual(d["cause"] as? String, action, context, file: file, line: line)
                XCTAssertEqual(d["detected_by"] as? String, action == "kill" ? "connection-closed" : "heartbeat-timeout",
                               context, file: file, line: line)
                let detect = d["detect_ms"] as? Double ?? .infinity
                XCTAssertLessThan(detect, 500, "\(step.fault): detect_ms \(detect)", file: file, line: line)
                // The degraded plan of the table is in force after detection.
                let t = (d["t"] as? Double ?? 0)
                let next = s.plans(after: t + 0.3).first
                XCTAssertEqual(next, step.plan, "\(step.fault)@\(step.at): \(context)", file: file, line: line)
            default:
                // Invariant 3: the device rejoins and the larger plan is back within 1 s.
                XCTAssertTrue(ups.contains { $0["device"] as? String == device && ($0["t"] as? Double ?? 0) >= step.at },
                              "\(step.fault): no device-up; \(context)", file: file, line: line)
                let recoveries = summary["recoveries"] as? [[String: Any]] ?? []
                let r = recoveries.first { $0["device"] as? String == device && $0["action"] as? String == action }
                XCTAssertNotNil(r, "\(step.fault): no recovery recorded; \(context)", file: file, line: line)
                XCTAssertLessThan(r?["redeploy_ms"] as? Double ?? .infinity, 1000, "\(step.fault)", file: file, line: line)
                XCTAssertEqual(s.plans(after: step.at + 1.0).first, step.plan, "\(step.fault)@\(step.at): \(context)",
                               file: file, line: line)
            }
        }
        return s
    }

    func testFluidHACrashAndHangBothDevices() throws {
        let s = try runScenario(kind: "fluid", mode: "ha", duration: 9, steps: [
            Step(fault: "kill:worker", at: 1, plan: "solo-50"),
            Step(fault: "revive:worker", at: 2, plan: "ha-100"),
            Step(fault: "hang:master", at: 3, plan: "solo-u50"),
            Step(fault: "resume:master", at: 4, plan: "ha-100"),
            Step(fault: "kill:master", at: 5, plan: "solo-u50"),
            Step(fault: "revive:master", at: 6, plan: "ha-100"),
            Step(fault: "hang:worker", at: 7, plan: "solo-50"),
            Step(fault: "resume:worker", at: 8, plan: "ha-100"),
        ], initial: "ha-100")
        // Fluid never stops: no request was answered unavailable.
        XCTAssertEqual(s.summary?["unavailable"] as? Int, 0)
        // Requests in flight on the failed devices were re-run on the survivor.
        XCTAssertGreaterThan(s.summary?["redispatched"] as? Int ?? 0, 0)
        let failovers = s.summary?["failovers"] as? [[String: Any]] ?? []
        XCTAssertEqual(failovers.count, 4)
        XCTAssertTrue(failovers.allSatisfy { $0["resume_ms"] is Double }, "\(failovers)")
    }

    /// In HA both devices compute every image, so each device is credited with the HA rate
    /// (the Worker is not shown idle), while the cluster total counts each image once.
    func testFluidHACreditsBothDevicesWithEveryImage() throws {
        let s = try runScenario(kind: "fluid", mode: "ha", duration: 3, steps: [], initial: "ha-100")
        let joint = s.samples.filter { $0["plan"] as? String == "ha-100" && ($0["throughput"] as? Double ?? 0) > 0 }
        XCTAssertFalse(joint.isEmpty, "no ha-100 sample with answers")
        for sample in joint {
            let d = sample["devices"] as? [String: [String: Any]]
            let master = d?["master"]?["img_s"] as? Double ?? 0, worker = d?["worker"]?["img_s"] as? Double ?? 0
            let total = sample["throughput"] as? Double ?? 0
            // Counters come from heartbeats 50 ms apart: equal shares within a factor of 2.
            XCTAssertGreaterThan(worker, master / 2, "the Worker's share of the joint images: \(sample)")
            XCTAssertGreaterThan(master, worker / 2, "\(sample)")
            XCTAssertLessThan(total, 1.5 * max(master, worker), "the total counts an image once, not per device: \(sample)")
        }
    }

    func testFluidHTEachDeviceAloneRunsItsHalf() throws {
        let s = try runScenario(kind: "fluid", mode: "ht", duration: 5, steps: [
            Step(fault: "kill:master", at: 1, plan: "solo-u50"),
            Step(fault: "revive:master", at: 2, plan: "ht-50+u50"),
            Step(fault: "hang:worker", at: 3, plan: "solo-50"),
            Step(fault: "resume:worker", at: 4, plan: "ht-50+u50"),
        ], initial: "ht-50+u50")
        // In HT both devices answer their own images.
        let both = s.samples.contains { sample in
            let d = sample["devices"] as? [String: [String: Any]]
            return (d?["master"]?["img_s"] as? Double ?? 0) > 0 && (d?["worker"]?["img_s"] as? Double ?? 0) > 0
        }
        XCTAssertTrue(both, "no sample with both devices answering in HT")
    }

    func testStaticStopsWithExplicitUnavailable() throws {
        let s = try runScenario(kind: "static", mode: "ha", duration: 5, steps: [
            Step(fault: "kill:worker", at: 1, plan: "none"),
            Step(fault: "revive:worker", at: 2, plan: "ha-100"),
            Step(fault: "hang:master", at: 3, plan: "none"),
            Step(fault: "resume:master", at: 4, plan: "ha-100"),
        ], initial: "ha-100")
        // "Stops": requests get an explicit unavailable answer, none hangs or is dropped.
        XCTAssertGreaterThan(s.summary?["unavailable"] as? Int ?? 0, 0)
        XCTAssertTrue(s.samples.contains { ($0["plan"] as? String) == "none" && ($0["throughput"] as? Double) == 0 }
                      || s.events("plan").contains { $0["plan"] as? String == "none" })
    }

    func testDynamicKeepsFiftyOnMasterOnly() throws {
        _ = try runScenario(kind: "dynamic", mode: "ha", duration: 5, steps: [
            Step(fault: "kill:worker", at: 1, plan: "solo-50"),
            Step(fault: "revive:worker", at: 2, plan: "ha-100"),
            Step(fault: "hang:master", at: 3, plan: "none"),
            Step(fault: "resume:master", at: 4, plan: "ha-100"),
        ], initial: "ha-100")
        _ = try runScenario(kind: "dynamic", mode: "ht", duration: 3, steps: [
            Step(fault: "kill:master", at: 1, plan: "none"),
            Step(fault: "revive:master", at: 2, plan: "solo-50"),
        ], initial: "solo-50")
    }
}
