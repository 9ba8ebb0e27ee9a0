import FluidCluster
import XCTest

/// The SLOW state and the live cost model, with a fake clock (windows of half a second).
final class SpeedTrackerTests: XCTestCase {
    func window(_ t: Double, _ plan: Plan, answered: [Role: Int], saturated: [Role: Bool] = [:],
                p50: [Role: Double] = [:], gaps: [Role: Double] = [.master: 52, .worker: 52]) -> Observation {
        Observation(now: t, seconds: 0.5, plan: plan, answered: answered, saturated: saturated, latencyP50Ms: p50, heartbeatGapMs: gaps)
    }

    /// A saturated device at a quarter of its model is `SLOW ×4` at once; two healthy
    /// windows bring it back; the model's capacity never absorbs the slowdown.
    func testSaturatedRateBelowModelIsSlowThenRecovers() throws {
        var model = AdaptiveControllerTests.model()
        var t = SpeedTracker()
        // ht-50+u50, both saturated, the Worker answering 7 500 img/s of its 60 000.
        var c = t.observe(window(1, .ht, answered: [.master: 30_000, .worker: 3_750], saturated: [.master: true, .worker: true]), model: &model)
        XCTAssertEqual(c.count, 1)
        let change = try XCTUnwrap(c.first)
        XCTAssertEqual(change.device, .worker)
        XCTAssertEqual(change.state, .slow(factor: 8, measured: true))
        XCTAssertTrue(change.reason.contains("7500 img/s") && change.reason.contains("model 60000"), change.reason)
        XCTAssertEqual(model.speed[.worker], 0.125)
        XCTAssertEqual(model.solo[.worker]?[.u50]?.imagesPerSecond, 60_000, "a slow window is not the device's capacity")
        XCTAssertEqual(t.state(of: .master), .normal)
        // Still slow: no new change.
        c = t.observe(window(1.5, .ht, answered: [.master: 30_000, .worker: 3_750], saturated: [.master: true, .worker: true]), model: &model)
        XCTAssertEqual(c, [])
        // Back to speed: one good window is not enough, two are.
        c = t.observe(window(2, .ht, answered: [.master: 30_000, .worker: 30_000], saturated: [.master: true, .worker: true]), model: &model)
        XCTAssertEqual(c, [])
        XCTAssertEqual(t.state(of: .worker), .slow(factor: 8, measured: true))
        c = t.observe(window(2.5, .ht, answered: [.master: 30_000, .worker: 30_000], saturated: [.master: true, .worker: true]), model: &model)
        XCTAssertEqual(c.map(\.state), [.normal])
        XCTAssertNil(model.speed[.worker])
    }

    /// An independent pair both saturated at 60 % of the model: a limit they share (the
    /// source's CPU on this 2-core box), not a gray failure of either; the model learns it
    /// as their capacity. One of them at a quarter of the other's ratio is SLOW ×4.
    func testAPairSlowedAlikeIsTheirCapacityNotASlowDevice() throws {
        var model = AdaptiveControllerTests.model()
        var t = SpeedTracker()
        let both: [Role: Bool] = [.master: true, .worker: true]
        // 60 000 img/s each in the model; 18 000 answered in half a second = 36 000 img/s.
        var c = t.observe(window(1, .ht, answered: [.master: 18_000, .worker: 17_000], saturated: both), model: &model)
        XCTAssertEqual(c, [])
        XCTAssertEqual(t.state(of: .master), .normal)
        XCTAssertEqual(t.state(of: .worker), .normal)
        XCTAssertLessThan(model.solo[.worker]![.u50]!.imagesPerSecond, 60_000, "the shared limit is their capacity now")
        // The Worker at a quarter of the Master's ratio: SLOW ×4 against it.
        var m2 = AdaptiveControllerTests.model()
        var t2 = SpeedTracker()
        c = t2.observe(window(1, .ht, answered: [.master: 18_000, .worker: 4_500], saturated: both), model: &m2)
        let change = try XCTUnwrap(c.first)
        XCTAssertEqual(change.device, .worker)
        XCTAssertEqual(change.state.factor ?? 0, 4, accuracy: 1e-9)
        XCTAssertTrue(change.reason.contains("the other device at 60 %"), change.reason)
        XCTAssertEqual(t2.state(of: .master), .normal)
    }

    /// The auto-mode bug of issue 14: an unsaturated window (offered 1 000 img/s) says
    /// nothing about capacity. A saturated healthy one does, and the model learns it.
    func testCapacityIsLearntOnlyFromSaturatedWindows() {
        var model = AdaptiveControllerTests.model()
        var t = SpeedTracker()
        XCTAssertEqual(t.observe(window(1, .ha100, answered: [.master: 500], p50: [.master: 3]), model: &model), [])
        XCTAssertEqual(model.joint[.ha100]?.imagesPerSecond, 10_000)
        XCTAssertEqual(t.state(of: .master), .normal)
        XCTAssertEqual(t.state(of: .worker), .normal)
        // Saturated at 12 000: learnt with weight 0.3.
        _ = t.observe(window(2, .ha100, answered: [.master: 6_000], saturated: [.master: true]), model: &model)
        XCTAssertEqual(model.joint[.ha100]!.imagesPerSecond, 10_600, accuracy: 1e-6)
        XCTAssertEqual(model.joint[.ha100]?.origin, .live)
    }

    /// In a joint plan the pair is as slow as its slower device; the heartbeats say which.
    func testJointSlownessIsPinnedOnTheDeviceWithLateHeartbeats() throws {
        var model = AdaptiveControllerTests.model()
        var t = SpeedTracker()
        let c = t.observe(window(1, .ha100, answered: [.master: 1_250], saturated: [.master: true], gaps: [.master: 51, .worker: 140]),
                          model: &model)
        XCTAssertEqual(c.map(\.device), [.worker])
        XCTAssertEqual(c.first?.state, .slow(factor: 4, measured: true))
        XCTAssertEqual(t.state(of: .master), .normal)
        XCTAssertEqual(model.capacity(.ha100), 2_500)
        XCTAssertEqual(model.joint[.ha100]?.imagesPerSecond, 10_000)
    }

    /// A joint plan saturated far below its model while both devices heartbeat on time is
    /// the pair's capacity now (a loaded machine), not a slow device: learnt, no SLOW.
    func testJointBelowModelWithRegularHeartbeatsIsLearnt() {
        var model = AdaptiveControllerTests.model()
        var t = SpeedTracker()
        let c = t.observe(window(1, .ha100, answered: [.master: 2_000], saturated: [.master: true]), model: &model)
        XCTAssertEqual(c, [])
        XCTAssertEqual(t.state(of: .master), .normal)
        XCTAssertEqual(t.state(of: .worker), .normal)
        XCTAssertEqual(model.joint[.ha100]!.imagesPerSecond, 4_000, accuracy: 1e-6)
        XCTAssertEqual(model.joint[.ha75]!.imagesPerSecond, 13_000 * 0.4, accuracy: 1e-6, "the same load weighs on ha-75")
        XCTAssertEqual(model.solo[.master]?[.s50]?.imagesPerSecond, 60_000, "solo figures are measured on their own")
    }

    /// Below saturation the rate is the offered load; the latency shows the slowdown. A
    /// device the new plan leaves idle stays SLOW while its heartbeats are late, and
    /// recovers on regular heartbeats (so the controller tries it again).
    func testLatencyThenIdleHeartbeats() {
        var model = AdaptiveControllerTests.model()
        var t = SpeedTracker()
        // solo-u50 at 1 000 img/s, model p50 0.5 ms, measured 40 ms.
        var c = t.observe(window(1, .soloU50, answered: [.worker: 500], p50: [.worker: 40]), model: &model)
        XCTAssertEqual(c.map(\.state), [.slow(factor: 2, measured: false)])
        XCTAssertTrue(c.first?.reason.contains("p50 40 ms") ?? false)
        // The controller moved the work to the Master: the Worker is idle, heartbeats late.
        c = t.observe(window(2, .solo50, answered: [.master: 500], p50: [.master: 1], gaps: [.master: 50, .worker: 130]), model: &model)
        XCTAssertEqual(c, [])
        XCTAssertEqual(t.state(of: .worker).factor, 2)
        c = t.observe(window(3, .solo50, answered: [.master: 500], p50: [.master: 1], gaps: [.master: 50, .worker: 55]), model: &model)
        XCTAssertEqual(c, [])
        c = t.observe(window(4, .solo50, answered: [.master: 500], p50: [.master: 1], gaps: [.master: 50, .worker: 55]), model: &model)
        XCTAssertEqual(c.map(\.device), [.worker])
        XCTAssertEqual(t.state(of: .worker), .normal)
        // The Master's healthy unsaturated windows taught its latency, not its rate.
        XCTAssertEqual(model.solo[.master]?[.s50]?.imagesPerSecond, 60_000)
        XCTAssertLessThan(model.solo[.master]![.s50]!.latencyMs, 1)
    }

    func testCalibrationPlansCoverTheMenu() {
        XCTAssertEqual(Calibration.plans(for: .fluid), [.ha100, .ha75, .ht, .ht25])
        XCTAssertEqual(Calibration.plans(for: .dynamic), [.ha100, .ha75, .solo50, .solo25])
        XCTAssertEqual(Calibration.plans(for: .static), [.ha100])
    }

    /// Pins each plan, waits for it and the settle time, counts, moves on; a plan not
    /// served in time is skipped; the result is the model.
    func testCalibrationWithAFakeClock() {
        var c = Calibration(kind: .fluid, accuracy: AdaptiveControllerTests.fluidAccuracy, batchSize: 32)
        var count: [Role: UInt64] = [.master: 0, .worker: 0]
        var served = Plan.ha100
        var pins: [Plan] = []
        var now = 0.0
        // Rates the fake cluster runs at, per plan.
        let rates: [Plan: [Role: Double]] = [.ha100: [.master: 10_000], .ha75: [.master: 13_000],
                                             .ht: [.master: 60_000, .worker: 60_000], .ht25: [.master: 100_000, .worker: 100_000]]
        var step = c.step(now: now, served: served, answered: count)
        while step != .done, now < 30 {
            if case .pin(let p) = step {
                pins.append(p)
                // ht-25+u25 never comes (a device refuses it): skipped after the timeout.
                if p != .ht25 { served = p }
            }
            now += 0.05
            for (d, r) in rates[served] ?? [:] { count[d, default: 0] += UInt64(r * 0.05) }
            step = c.step(now: now, served: served, answered: count)
        }
        XCTAssertEqual(step, .done)
        XCTAssertEqual(pins, [.ha100, .ha75, .ht, .ht25])
        XCTAssertEqual(c.skipped, [.ht25])
        XCTAssertEqual(c.model.joint[.ha100]!.imagesPerSecond, 10_000, accuracy: 300)
        XCTAssertEqual(c.model.joint[.ha75]!.imagesPerSecond, 13_000, accuracy: 400)
        XCTAssertEqual(c.model.solo[.worker]![.u50]!.imagesPerSecond, 60_000, accuracy: 1_500)
        XCTAssertNil(c.model.solo[.worker]?[.u25])
        XCTAssertEqual(c.model.accuracy[.s100], 0.9916)
        XCTAssertLessThan(now, 1 + 3 * 1.0 + 3 + 0.5, "each plan takes about settle + measure")
    }
}
