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

    /// A 78 ms one-way Master → Worker cut that drops frames (as the fault injector's cut
    /// does) swallowed the Master's plan: the Worker stayed on its own plan, the Master
    /// waited for an ack forever, and the joint plan never served again (invariant e).
    /// Fixed by re-sending the plan until acknowledged (NodeInstance.tick). Found as
    /// FLUID_SIM_LOSSY_CUTS=1 FLUID_SIM_SEED=2949.
    func testPlanLostInAShortCutIsResent() {
        var s = SimSchedule(seed: 2949, kind: .static, mode: .ht, latency: [2_638_000, 2_321_000, 2_759_000], faults: [
            (10_834_000, .cut(.masterWorker, .forward)), (89_090_000, .heal(.masterWorker, .forward)),
            (137_059_000, .pause(.master)), (162_054_000, .resume(.master)),
            (208_447_000, .pause(.worker)), (271_316_000, .resume(.worker)),
        ])
        s.lossyCuts = true
        let (c, _) = simulate(s, stopOnFirst: false)
        XCTAssertFalse(c.failed, c.first ?? "")
        XCTAssertGreaterThan(c.predicted, 0)
    }

    /// A `setMode ht` the source sent once, dropped by a 204 ms one-way source → Master cut,
    /// left Dynamic's Master serving ha-100 for good (invariant e). Fixed by the source
    /// telling a node its wanted mode again while its relayed plan runs another
    /// (SourceInstance.wantedMode). Found as FLUID_SIM_LOSSY_CUTS=1 FLUID_SIM_SEED=4774.
    func testLostModeChangeIsSentAgain() {
        var s = SimSchedule(seed: 4774, kind: .dynamic, mode: .ht, latency: [689_000, 2_423_000, 2_193_000], faults: [
            (2_965_000, .cut(.sourceMaster, .forward)), (207_000_000, .heal(.sourceMaster, .forward)),
        ])
        s.lossyCuts = true
        let (c, _) = simulate(s, stopOnFirst: false)
        XCTAssertFalse(c.failed, c.first ?? "")
    }
}
