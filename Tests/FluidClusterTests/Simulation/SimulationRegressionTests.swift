import FluidCluster
import XCTest

/// Schedules that once broke an invariant, kept as they were found.
final class SimulationRegressionTests: XCTestCase {
    /// A restarted Master forgot the epochs it had issued and issued epoch 5 again for
    /// another plan (ha-100 before the crash, solo-50 after): invariant c. Fixed by the
    /// clock floor on terms in NodeInstance.replan. Found as FLUID_SIM_SEED=221.
    func testRestartedMasterNeverReusesAnEpoch() {
        let s = SimSchedule(seed: 221, kind: .fluid, mode: .ht, latency: [1_176_000, 2_056_000, 626_000], faults: [
            (96 * simMs, .pause(.worker)), (131 * simMs, .crash(.master)), (442 * simMs, .revive(.master)),
            (696 * simMs, .resume(.worker)), (750 * simMs, .crash(.master)), (787 * simMs, .revive(.master)),
        ])
        let (c, _) = simulate(s, stopOnFirst: false)
        XCTAssertNil(c.violations["c"], c.violations["c"] ?? "")
        XCTAssertFalse(c.failed, c.first ?? "")
        XCTAssertGreaterThan(c.predicted, 0)
    }
}
