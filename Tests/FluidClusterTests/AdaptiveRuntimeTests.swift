import FluidCluster
import XCTest

/// The whole adaptive loop with a fake clock and a fake cluster that serves what is wanted
/// at this machine's rates: calibration, then the Worker slowed 4× and recovered.
final class AdaptiveRuntimeTests: XCTestCase {
    /// Images/s each device answers under a plan, saturated.
    static let rates: [Plan: [Role: Double]] = [.ha100: [.master: 10_000], .ha75: [.master: 13_000],
                                                .ht: [.master: 60_000, .worker: 60_000], .ht25: [.master: 100_000, .worker: 100_000]]

    func testCalibratesThenRoutesAroundASlowWorkerAndReturns() throws {
        var rt = AdaptiveRuntime(kind: .fluid, policy: .goal(.sloP99(ms: 20)), accuracy: AdaptiveControllerTests.fluidAccuracy, batchSize: 32)
        XCTAssertTrue(rt.isCalibrating)
        let tick = 0.05
        var now = 0.0, served = Plan.ha100
        var wants: [(t: Double, plan: Plan?, reason: String)] = []
        var speeds: [(t: Double, device: Role, state: SpeedTracker.State)] = []
        var workerSlow = false
        func run(until end: Double, offered: Double?) {
            while now < end {
                now += tick
                let calibrating = rt.isCalibrating
                // The fake cluster: saturated while calibrating, else the offered rate; a
                // slow Worker stops 90 ms of every 120 ms (its heartbeats are late, its
                // answers wait).
                for (d, capacity) in Self.rates[served] ?? [:] {
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
                        if let p { served = p } // the leader deploys it by the next tick
                    case .speed(let d, let s, _):
                        speeds.append((now, d, s))
                    case .calibrating, .calibrated:
                        break
                    }
                }
            }
        }
        run(until: 8, offered: 2_000)
        XCTAssertFalse(rt.isCalibrating)
        XCTAssertEqual(wants.prefix(4).map(\.plan), [.ha100, .ha75, .ht, .ht25], "calibration pins")
        XCTAssertEqual(rt.model.joint[.ha100]!.imagesPerSecond, 10_000, accuracy: 500)
        XCTAssertEqual(rt.model.solo[.worker]![.u25]!.imagesPerSecond, 100_000, accuracy: 5_000)
        let calibrated = try XCTUnwrap(wants.dropFirst(4).first)
        XCTAssertEqual(calibrated.plan, .ha100, calibrated.reason)
        XCTAssertEqual(served, .ha100)
        XCTAssertTrue(speeds.isEmpty)

        // The Worker slows 4×: within 2 s the Worker is SLOW and the cluster leaves HA.
        workerSlow = true
        let slowAt = now
        run(until: slowAt + 2, offered: 2_000)
        let slow = try XCTUnwrap(speeds.first { $0.device == .worker })
        XCTAssertNotNil(slow.state.factor)
        XCTAssertLessThanOrEqual(slow.t - slowAt, 2)
        let away = try XCTUnwrap(wants.last)
        XCTAssertNotEqual(away.plan, .ha100)
        XCTAssertLessThanOrEqual(away.t - slowAt, 2, "re-planned within 2 s: \(away.reason)")
        XCTAssertTrue(away.reason.contains("fails the goal"), away.reason)
        XCTAssertFalse(speeds.contains { $0.device == .master })

        // Recovered: heartbeats regular again; after two windows it is normal and after the
        // dwell the cluster goes back to HA.
        workerSlow = false
        let backAt = now
        run(until: backAt + 7, offered: 2_000)
        XCTAssertEqual(speeds.last?.device, .worker)
        XCTAssertEqual(speeds.last?.state, .normal)
        XCTAssertEqual(served, .ha100)
        let back = try XCTUnwrap(wants.last)
        XCTAssertEqual(back.plan, .ha100)
        XCTAssertLessThanOrEqual(back.t - backAt, 6, "recovered, then the 5 s dwell: \(back.reason)")
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
