import Foundation
import XCTest

/// Issue 14 with real processes: `fluid run --headless` with a p99 SLO, the Worker made 4×
/// slower by a SIGSTOP/SIGCONT duty cycle from outside its process (`slow:worker=4@S`),
/// then `unslow`. The session log must show the Worker `SLOW`, a re-plan away from the
/// joint plan within 2 s (the issue's bound, a specification, not a speed measurement),
/// the Worker normal again after `unslow`, and nothing lost.
final class AdaptiveProcessTests: XCTestCase {
    func testSlowWorkerIsDetectedAndRoutedAround() throws {
        // Fault times count from the end of calibration (~4 s at the start of the session).
        let (code, out, err) = try FluidBinary.run(["run", "--headless", "--kind", "fluid", "--slo-p99", "20", "--rate", "4000",
                                                    "--duration", "10", "--faults", "slow:worker=4@3,unslow:worker@7"])
        XCTAssertEqual(code, 0, "fluid run failed: \(err.suffix(2000))")
        let s = try Session(out)
        let summary = try XCTUnwrap(s.summary)
        XCTAssertEqual(summary["lost"] as? Int, 0)
        XCTAssertEqual(s.header?["goal"] as? String, "slo-p99 20 ms")
        let context = "plans \(s.plans.map { "\($0.t):\($0.plan)" }); adapt \(s.events("adapt").map { "\($0["t"]!): \($0["wanted"]!)" })"

        // The faults as injected, on the session's clock.
        let faults = s.events("fault")
        let slowAt = try XCTUnwrap(faults.first { $0["action"] as? String == "slow" }?["t"] as? Double, "\(faults)")
        let unslowAt = try XCTUnwrap(faults.first { $0["action"] as? String == "unslow" }?["t"] as? Double, "\(faults)")
        // Calibrated before the first fault (it is not counted in the fault times), then the
        // most accurate plan for the SLO: a joint one (ha-100 unless the machine is so
        // loaded that only ha-75 meets 20 ms).
        let models = s.events("model")
        XCTAssertFalse(models.isEmpty, "no cost model printed")
        let calibrated = try XCTUnwrap(s.events("message").first { ($0["message"] as? String ?? "").hasPrefix("calibrated in") }?["t"] as? Double)
        XCTAssertEqual(slowAt - calibrated, 3, accuracy: 0.5, "the fault's time counts from the end of calibration")
        // Calibration's full-load seconds are calibration records, and the session's first
        // sample holds none of its traffic: it carries the offered 4 000 img/s.
        let calibration = s.lines.filter { $0["type"] as? String == "calibration" }
        XCTAssertFalse(calibration.isEmpty, "no calibration records")
        XCTAssertFalse(s.samples.contains { ($0["t"] as? Double ?? 0) <= calibrated }, "a sample during calibration")
        let first = try XCTUnwrap(s.samples.first)
        XCTAssertLessThanOrEqual(first["throughput"] as? Double ?? .infinity, 4_000 * 1.25, "\(first)")
        let beforeSlow = s.plans.filter { $0.t < slowAt }.last?.plan ?? ""
        XCTAssertTrue(beforeSlow.hasPrefix("ha-"), context)

        // The fault was injected with its factor.
        let fault = try XCTUnwrap(s.events("fault").first { $0["action"] as? String == "slow" })
        XCTAssertEqual(fault["device"] as? String, "worker")
        XCTAssertEqual(fault["factor"] as? Double, 4)

        // SLOW seen on the Worker (never on the Master) and a re-plan within 2 s.
        let speeds = s.events("speed")
        let slow = try XCTUnwrap(speeds.first { $0["device"] as? String == "worker" && $0["state"] as? String == "slow"
            && ($0["t"] as? Double ?? 0) >= slowAt }, context)
        XCTAssertLessThanOrEqual((slow["t"] as? Double ?? .infinity) - slowAt, 2, "\(slow)")
        XCTAssertFalse(speeds.contains { $0["device"] as? String == "master" && $0["state"] as? String == "slow" }, "\(speeds)")
        let away = try XCTUnwrap(s.plans.first { $0.t > slowAt && !$0.plan.hasPrefix("ha-") }, context)
        XCTAssertLessThanOrEqual(away.t - slowAt, 2, context)
        let replan = try XCTUnwrap(s.events("adapt").first { ($0["t"] as? Double ?? 0) > slowAt }, context)
        XCTAssertTrue((replan["reason"] as? String ?? "").contains("fails the goal"), "\(replan)")
        XCTAssertNotNil((replan["numbers"] as? [String: Any])?["offered"], "\(replan)")
        // Samples while slowed carry the measured factor.
        XCTAssertTrue(s.samples.contains { ($0["t"] as? Double ?? 0) > slowAt + 1 && ($0["t"] as? Double ?? 0) < unslowAt
            && (($0["devices"] as? [String: Any])?["worker"] as? [String: Any])?["slow"] != nil }, "no sample shows the Worker SLOW")

        // After unslow the Worker is normal again.
        XCTAssertTrue(speeds.contains { $0["device"] as? String == "worker" && $0["state"] as? String == "normal"
            && ($0["t"] as? Double ?? 0) > unslowAt }, "\(speeds)")
    }
}
