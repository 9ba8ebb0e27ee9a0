import FluidCluster
import XCTest

/// The whole adaptive loop with a fake clock and a fake cluster that serves what is wanted
/// at this machine's rates: calibration, then the Worker slowed 4× and recovered.
final class AdaptiveRuntimeTests: XCTestCase {
    /// Images/s each device answers under a plan, saturated.
    static let rates: [Plan: [Role: Double]] = [.ha100: [.master: 10_000], .ha75: [.master: 13_000],
                                                .ht: [.master: 60_000, .worker: 60_000], .ht25: [.master: 100_000, .worker: 100_000]]

    /// The fake cluster: serves what the runtime wants (by the next tick) at `rates`,
    /// saturated while calibrating, else at the offered rate; a slow Worker stops 90 ms of
    /// every 120 ms (its heartbeats are late, its answers wait).
    struct FakeCluster {
        var rt: AdaptiveRuntime
        let tick = 0.05
        var now = 0.0, served = Plan.ha100
        var wants: [(t: Double, plan: Plan?, reason: String)] = []
        var speeds: [(t: Double, device: Role, state: SpeedTracker.State)] = []
        var workerSlow = false

        init(policy: AdaptiveRuntime.Policy) {
            rt = AdaptiveRuntime(kind: .fluid, policy: policy, accuracy: AdaptiveControllerTests.fluidAccuracy, batchSize: 32)
        }

        mutating func run(until end: Double, offered: Double?) {
            while now < end {
                now += tick
                let calibrating = rt.isCalibrating
                for (d, capacity) in AdaptiveRuntimeTests.rates[served] ?? [:] {
                    var cap = capacity
                    if workerSlow, d == .worker || served.isJoint { cap /= 4 }
                    let share = served.isJoint ? 1 : (d == .master ? 1.0 : 0.0)
                    let load = calibrating ? cap : min(cap, (offered ?? cap) * share)
                    let latency = workerSlow && (served.isJoint || d == .worker) ? 45.0 : 32 / capacity * 1000
                    for _ in 0..<Int(load * tick) { rt.noteAnswer(d, latencyMs: latency) }
                }
                let silence: [Role: Double] = [.master: 40, .worker: workerSlow ? 95 : 40]
                let actions = rt.tick(now: now, served: served, saturated: [.master: calibrating, .worker: calibrating],
                                      silenceMs: silence, offered: offered, alive: [.master, .worker])
                for a in actions {
                    switch a {
                    case .want(let p, let reason, _):
                        wants.append((now, p, reason))
                        if let p { served = p }
                    case .speed(let d, let s, _):
                        speeds.append((now, d, s))
                    case .calibrating, .calibrated:
                        break
                    }
                }
            }
        }
    }

    func testCalibratesThenRoutesAroundASlowWorkerAndReturns() throws {
        var c = FakeCluster(policy: .goal(.sloP99(ms: 20)))
        XCTAssertTrue(c.rt.isCalibrating)
        c.run(until: 8, offered: 2_000)
        XCTAssertFalse(c.rt.isCalibrating)
        XCTAssertEqual(c.wants.prefix(4).map(\.plan), [.ha100, .ha75, .ht, .ht25], "calibration pins")
        XCTAssertEqual(c.rt.model.joint[.ha100]!.imagesPerSecond, 10_000, accuracy: 500)
        XCTAssertEqual(c.rt.model.solo[.worker]![.u25]!.imagesPerSecond, 100_000, accuracy: 5_000)
        let calibrated = try XCTUnwrap(c.wants.dropFirst(4).first)
        XCTAssertEqual(calibrated.plan, .ha100, calibrated.reason)
        XCTAssertEqual(c.served, .ha100)
        XCTAssertTrue(c.speeds.isEmpty)

        // The Worker slows 4×: within 2 s the Worker is SLOW and the cluster leaves HA.
        c.workerSlow = true
        let slowAt = c.now
        c.run(until: slowAt + 2, offered: 2_000)
        let slow = try XCTUnwrap(c.speeds.first { $0.device == .worker })
        XCTAssertNotNil(slow.state.factor)
        XCTAssertLessThanOrEqual(slow.t - slowAt, 2)
        let away = try XCTUnwrap(c.wants.last)
        XCTAssertNotEqual(away.plan, .ha100)
        XCTAssertLessThanOrEqual(away.t - slowAt, 2, "re-planned within 2 s: \(away.reason)")
        XCTAssertTrue(away.reason.contains("fails the goal"), away.reason)
        XCTAssertFalse(c.speeds.contains { $0.device == .master })

        // Recovered: heartbeats regular again; after two windows it is normal and after the
        // dwell the cluster goes back to HA.
        c.workerSlow = false
        let backAt = c.now
        c.run(until: backAt + 7, offered: 2_000)
        XCTAssertEqual(c.speeds.last?.device, .worker)
        XCTAssertEqual(c.speeds.last?.state, .normal)
        XCTAssertEqual(c.served, .ha100)
        let back = try XCTUnwrap(c.wants.last)
        XCTAssertEqual(back.plan, .ha100)
        XCTAssertLessThanOrEqual(back.t - backAt, 6, "recovered, then the 5 s dwell: \(back.reason)")
    }

    /// A step in the offered rate is decided at the tick it is seen, not at the end of the
    /// adaptive window: a ramp's step otherwise overloads the plan for up to a window
    /// (measured in `fluid bench adaptive`: p99 67 ms in the second of the step).
    func testAStepInTheOfferedRateIsDecidedAtOnce() throws {
        var c = FakeCluster(policy: .goal(.sloP99(ms: 50)))
        c.run(until: 8, offered: 2_000)
        XCTAssertEqual(c.served, .ha100)
        c.rt.settings.window = 5   // no window ends during the test: only the step decides
        c.run(until: 8.3, offered: 6_000)      // 60 % of ha-100's 10 k: HA still serves it
        XCTAssertEqual(c.served, .ha100)
        let stepAt = c.now, before = c.wants.count
        c.run(until: stepAt + c.tick / 2, offered: 12_000)  // one tick, mid-window
        let step = try XCTUnwrap(c.wants.dropFirst(before).first, "no decision at the step's tick")
        XCTAssertFalse(step.plan?.isJoint ?? true, step.reason)
        XCTAssertTrue(step.reason.contains("offered 12000"), step.reason)
        // A load that does not move decides nothing between windows.
        let settled = c.wants.count
        c.run(until: c.now + 0.2, offered: 12_000)
        XCTAssertEqual(c.wants.count, settled)
        // A step down is an upgrade: it waits for a window's measurements (a device may
        // have slowed at the same instant), then HA comes back.
        c.rt.settings.window = 0.5
        c.run(until: c.now + 5.2, offered: 12_000)  // the dwell after the switch
        let downAt = c.now, beforeDown = c.wants.count
        c.run(until: downAt + c.tick / 2, offered: 2_000)
        XCTAssertEqual(c.wants.count, beforeDown, "an upgrade decided between windows: \(c.wants.last!.reason)")
        c.run(until: downAt + 0.6, offered: 2_000)
        XCTAssertEqual(c.served, .ha100)
        let up = try XCTUnwrap(c.wants.last)
        XCTAssertGreaterThanOrEqual(up.t - downAt, 0.5 - 1e-6, "the upgrade's window held load from before the step")
    }

    /// The plan served changed under the runtime (a revived Master came back into the
    /// plan wanted before it died, say): the upgrade waits for the dwell, so it does not
    /// stack a second switch on the first one's transient.
    func testAPlanChangeNotMadeByTheControllerRestartsTheDwell() throws {
        var c = FakeCluster(policy: .goal(.sloP99(ms: 50)))
        c.run(until: 12, offered: 2_000)
        XCTAssertEqual(c.served, .ha100)
        c.run(until: 18, offered: 9_000)      // over 80 % of ha-100: ha-75
        XCTAssertEqual(c.served, .ha75)
        c.served = .soloU50                   // the Master dies: the failure table's plan
        c.run(until: 19, offered: 9_000)
        let before = c.wants.count, backAt = c.now
        c.served = .ha75                      // revived into the plan wanted
        c.run(until: backAt + 4.5, offered: 2_000)
        XCTAssertEqual(c.wants.count, before, "upgraded within the dwell: \(c.wants.last!.reason)")
        c.run(until: backAt + 6, offered: 2_000)
        let up = try XCTUnwrap(c.wants.last)
        XCTAssertEqual(up.plan, .ha100)
        XCTAssertGreaterThanOrEqual(up.t - backAt, 5)
    }

    /// A pinned plan is wanted at once and never changed by the runtime; the table policy
    /// wants nothing. Neither calibrates.
    func testPinnedAndTablePolicies() {
        var rt = AdaptiveRuntime(kind: .fluid, policy: .pinned(.ht50u25), accuracy: [:], batchSize: 32)
        XCTAssertFalse(rt.isCalibrating)
        XCTAssertEqual(rt.wanted, .ht50u25)
        for i in 1...40 {
            rt.noteAnswer(.master, latencyMs: 1)
            XCTAssertEqual(rt.tick(now: Double(i) * 0.05, served: .ht50u25, saturated: [:], silenceMs: [:], offered: 100, alive: [.master, .worker])
                .filter { if case .want = $0 { return true }; return false }, [])
        }
        XCTAssertEqual(rt.set(policy: .table, now: 3), [.want(nil, reason: "policy table", numbers: [:])])
        XCTAssertNil(rt.wanted)
        // Switching to a goal without a model calibrates first.
        _ = rt.set(policy: .goal(.accuracy), now: 4)
        XCTAssertTrue(rt.isCalibrating)
    }
}
