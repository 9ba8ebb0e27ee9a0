import FluidCluster
import XCTest

/// Issue 14's controller as a table: goal × load × device speeds → plan, with a model
/// shaped like this machine's (joint plans link-bound, halves ~6× faster than the pair).
final class AdaptiveControllerTests: XCTestCase {
    static let fluidAccuracy: [Subnet: Double] = [.s25: 0.9722, .s50: 0.9854, .s75: 0.9888, .s100: 0.9916,
                                                  .u25: 0.9728, .u50: 0.9866]
    static let dynamicAccuracy: [Subnet: Double] = [.s25: 0.9728, .s50: 0.9830, .s75: 0.9843, .s100: 0.9858]

    static func model(_ kind: ModelKind = .fluid, slow: [Role: Double] = [:]) -> CostModel {
        var m = CostModel(batchSize: 32)
        func r(_ x: Double) -> CostModel.Rate { CostModel.Rate(imagesPerSecond: x, latencyMs: 32 / x * 1000) }
        m.joint[.ha100] = r(10_000)
        m.joint[.ha75] = r(13_000)
        m.solo[.master] = [.s50: r(60_000), .s25: r(100_000)]
        if kind == .fluid { m.solo[.worker] = [.u50: r(60_000), .u25: r(100_000)] }
        m.accuracy = kind == .fluid ? fluidAccuracy : dynamicAccuracy
        for (d, k) in slow { m.speed[d] = 1 / k }
        return m
    }

    struct Row {
        var goal: Goal
        var kind: ModelKind = .fluid
        var offered: Double?
        var running: Plan
        var slow: [Role: Double] = [:]
        var alive: Set<Role> = [.master, .worker]
        var measuredP99: Double?
        var expected: Plan?
        var line: UInt
    }

    func testGoalLoadSpeedTable() {
        let table: [Row] = [
            // The issue's auto-mode bug: 1000 img/s is a tenth of HA's capacity: stay.
            Row(goal: .accuracy, offered: 1_000, running: .ha100, expected: nil, line: #line),
            // …and from HT at low load, back to HA.
            Row(goal: .accuracy, offered: 25, running: .ht, expected: .ha100, line: #line),
            // Hysteresis band (75 %…90 % of 10 000): 8 000 keeps HA, does not enter it.
            Row(goal: .accuracy, offered: 8_000, running: .ha100, expected: nil, line: #line),
            Row(goal: .accuracy, offered: 8_000, running: .ha75, expected: nil, line: #line),
            // Over 90 % of HA: the next most accurate plan that serves it.
            Row(goal: .accuracy, offered: 9_500, running: .ha100, expected: .ha75, line: #line),
            // Beyond the joint plans: halves; accuracies within 0.1 pp count as equal, so the
            // pair (twice the capacity) beats the Worker's half alone.
            Row(goal: .accuracy, offered: 20_000, running: .ha75, expected: .ht, line: #line),
            Row(goal: .accuracy, offered: nil, running: .ha100, expected: .ht25, line: #line),
            Row(goal: .accuracy, kind: .dynamic, offered: 11_000, running: .ha100, expected: .solo50, line: #line),
            // Throughput with a floor on accuracy.
            Row(goal: .throughput(minAccuracy: 0.985), offered: 1_000, running: .ha100, expected: .ht, line: #line),
            Row(goal: .throughput(minAccuracy: 0.97), offered: 1_000, running: .ha100, expected: .ht25, line: #line),
            Row(goal: .throughput(minAccuracy: 0.995), offered: 1_000, running: .ht, expected: .ha100, line: #line),
            // p99 SLO 20 ms: ha-100 at 5 000 img/s is predicted 12.8 ms, over 60 % of the SLO
            // (not entered) but under it (kept); ha-75 is predicted 8 ms.
            Row(goal: .sloP99(ms: 20), offered: 5_000, running: .ha100, expected: nil, line: #line),
            Row(goal: .sloP99(ms: 20), offered: 5_000, running: .ht, expected: .ha75, line: #line),
            // One window of ha-100 measured over the SLO is noise (two are not, see below).
            Row(goal: .sloP99(ms: 20), offered: 5_000, running: .ha100, measuredP99: 45, expected: nil, line: #line),
            // The Worker 4× slower: the pair is capped at 2 500 img/s; the halves split by
            // speed meet the SLO and lose no accuracy.
            Row(goal: .sloP99(ms: 20), offered: 5_000, running: .ha100, slow: [.worker: 4], expected: .ht, line: #line),
            Row(goal: .accuracy, offered: 5_000, running: .ha100, slow: [.worker: 4], expected: .ht, line: #line),
            // At low load a 4× slower Worker still carries HA (2 500 img/s ≥ 1 000 / 0.9).
            Row(goal: .accuracy, offered: 1_000, running: .ha100, slow: [.worker: 4], expected: nil, line: #line),
            // A 4× slower device in an independent pair: both halves still serve 40 000 (split
            // by speed); at 70 000 the slow device drops to its quarter (a mixed pair).
            Row(goal: .accuracy, offered: 40_000, running: .ht, slow: [.master: 4], expected: nil, line: #line),
            Row(goal: .accuracy, offered: 70_000, running: .ht, slow: [.master: 4], expected: .ht50u25, line: #line),
            Row(goal: .accuracy, offered: 70_000, running: .ht, slow: [.worker: 4], expected: .ht25u50, line: #line),
            // A device down: only the survivor's plans are candidates.
            Row(goal: .accuracy, offered: 1_000, running: .solo50, alive: [.master], expected: nil, line: #line),
            Row(goal: .accuracy, offered: 80_000, running: .solo50, alive: [.master], expected: .solo25, line: #line),
            Row(goal: .sloP99(ms: 20), offered: 1_000, running: .soloU50, alive: [.worker], expected: nil, line: #line),
        ]
        for row in table {
            let menu = Plan.menu(for: row.kind)
            var c = AdaptiveController(goal: row.goal, menu: menu)
            let d = c.decide(now: 100, running: row.running, offered: row.offered, measuredP99Ms: row.measuredP99,
                             alive: row.alive, model: Self.model(row.kind, slow: row.slow))
            XCTAssertEqual(d?.plan, row.expected, "\(row.goal) offered \(row.offered.map { "\($0)" } ?? "∞") running \(row.running.rawValue): \(d?.reason ?? "stay")", line: row.line)
        }
    }

    func testReasonCarriesTheNumbers() throws {
        var c = AdaptiveController(goal: .sloP99(ms: 20), menu: Plan.menu(for: .fluid))
        let d = try XCTUnwrap(c.decide(now: 10, running: .ha100, offered: 5_000, measuredP99Ms: 45, alive: [.master, .worker],
                                       model: Self.model(slow: [.worker: 4])))
        XCTAssertTrue(d.urgent)
        for part in ["goal slo-p99 20 ms", "offered 5000 img/s", "ha-100", "capacity 2500 img/s", "worker ×4 slower",
                     "measured p99 45 ms", "fails the goal", "→ ht-50+u50", "capacity 75000 img/s"] {
            XCTAssertTrue(d.reason.contains(part), "\(part) missing from: \(d.reason)")
        }
        XCTAssertEqual(d.numbers["offered"], 5_000)
        XCTAssertEqual(d.numbers["from_capacity"], 2_500)
        XCTAssertEqual(d.numbers["to_capacity"], 75_000)
        XCTAssertEqual(d.numbers["measured_p99_ms"], 45)
        XCTAssertNotNil(d.numbers["to_p99_ms"])
    }

    /// Upgrades wait the minimum dwell; a plan that fails its goal is left at once.
    func testDwellHoldsUpgradesNotEscapes() {
        var c = AdaptiveController(goal: .accuracy, menu: Plan.menu(for: .fluid))
        let m = Self.model()
        XCTAssertEqual(c.decide(now: 10, running: .ha100, offered: 30_000, measuredP99Ms: nil, alive: [.master, .worker], model: m)?.plan, .ht)
        // One second later the load falls: HA would fit, but the dwell holds the upgrade.
        XCTAssertNil(c.decide(now: 11, running: .ht, offered: 1_000, measuredP99Ms: nil, alive: [.master, .worker], model: m))
        XCTAssertNil(c.decide(now: 12.9, running: .ht, offered: 1_000, measuredP99Ms: nil, alive: [.master, .worker], model: m))
        XCTAssertNil(c.decide(now: 14.9, running: .ht, offered: 1_000, measuredP99Ms: nil, alive: [.master, .worker], model: m))
        XCTAssertEqual(c.decide(now: 15, running: .ht, offered: 1_000, measuredP99Ms: nil, alive: [.master, .worker], model: m)?.plan, .ha100)
        // Within the dwell again, the load jumps: HA fails, so the escape is not held.
        let d = c.decide(now: 15.5, running: .ha100, offered: 30_000, measuredP99Ms: nil, alive: [.master, .worker], model: m)
        XCTAssertEqual(d?.plan, .ht)
        XCTAssertEqual(d?.urgent, true)
    }

    /// Auto mode is the accuracy goal over {ha-100, the kind's HT plan}: a ramp that crosses
    /// HA's capacity both ways switches HA → HT → HA, once each way, with hysteresis.
    func testAutoModeRampBothWays() {
        var c = AdaptiveController.autoMode(kind: .fluid)
        XCTAssertEqual(c.menu, [.ha100, .ht])
        XCTAssertEqual(AdaptiveController.autoMode(kind: .dynamic).menu, [.ha100, .solo50])
        XCTAssertEqual(AdaptiveController.autoMode(kind: .static).menu, [.ha100])
        let m = Self.model()
        var running = Plan.ha100
        var switches: [(Double, Plan)] = []
        let ramp: [Double] = [1_000, 3_000, 5_000, 7_000, 8_500, 9_500, 12_000, 15_000, 12_000, 9_000, 8_000, 7_000, 5_000, 3_000, 1_000]
        for (i, rate) in ramp.enumerated() {
            let now = Double(i) * 2
            if let d = c.decide(now: now, running: running, offered: rate, measuredP99Ms: nil, alive: [.master, .worker], model: m) {
                running = d.plan
                switches.append((rate, d.plan))
            }
        }
        XCTAssertEqual(switches.map(\.1), [.ht, .ha100])
        XCTAssertEqual(switches.first?.0, 9_500, "leaves HA above 90 % of its capacity")
        XCTAssertEqual(switches.last?.0, 7_000, "returns below 75 %")
        // Static has nothing else: it never switches.
        var s = AdaptiveController.autoMode(kind: .static)
        XCTAssertNil(s.decide(now: 0, running: .ha100, offered: 50_000, measuredP99Ms: nil, alive: [.master, .worker], model: m))
    }

    func testGoalParsing() throws {
        XCTAssertNil(try Goal.parse(goal: nil, sloP99Ms: nil, minAccuracy: nil))
        XCTAssertEqual(try Goal.parse(goal: "accuracy", sloP99Ms: nil, minAccuracy: nil), .accuracy)
        XCTAssertEqual(try Goal.parse(goal: nil, sloP99Ms: 50, minAccuracy: nil), .sloP99(ms: 50))
        XCTAssertEqual(try Goal.parse(goal: "throughput", sloP99Ms: nil, minAccuracy: 98.5), .throughput(minAccuracy: 0.985))
        XCTAssertEqual(try Goal.parse(goal: "throughput", sloP99Ms: nil, minAccuracy: 0.98), .throughput(minAccuracy: 0.98))
        let bad: [(String?, Double?, Double?, String)] = [
            ("speed", nil, nil, "is not accuracy, throughput or slo-p99"), ("slo-p99", nil, nil, "needs --slo-p99"),
            (nil, nil, 98, "needs --goal throughput"), ("accuracy", 50, nil, "takes neither"),
            ("throughput", 50, nil, "not --slo-p99"), (nil, 0, nil, "from 1 to 60000"), ("throughput", nil, 120, "percentage"),
        ]
        for (g, s, m, problem) in bad {
            XCTAssertThrowsError(try Goal.parse(goal: g, sloP99Ms: s, minAccuracy: m)) { e in
                XCTAssertTrue("\(e)".contains(problem), "\(e)")
            }
        }
    }

    func testCostModelPredictions() {
        let m = Self.model(slow: [.worker: 4])
        XCTAssertEqual(m.capacity(.ha100), 2_500)
        XCTAssertEqual(m.capacity(.ht), 75_000)
        XCTAssertEqual(m.capacity(.soloU25), 25_000)
        XCTAssertEqual(m.shares(.ht)[.master]!, 0.8, accuracy: 1e-9)
        XCTAssertEqual(m.accuracy(.ht)!, 0.8 * 0.9854 + 0.2 * 0.9866, accuracy: 1e-9)
        XCTAssertEqual(m.accuracy(.ha75), 0.9888)
        XCTAssertEqual(m.predictedP99Ms(.ha100, offered: 2_500), .infinity)
        XCTAssertLessThan(m.predictedP99Ms(.ht, offered: 1_000)!, m.predictedP99Ms(.ht, offered: 50_000)!)
        XCTAssertNil(CostModel().capacity(.ha100), "never measured")
        var linked = Self.model()
        linked.link = CostModel.Link(rttMs: 6, bandwidthMbit: 40)
        XCTAssertEqual(linked.capacity(.ha100)!, 40e6 / 8 / 7_840, accuracy: 1, "a 40 Mbit/s link carries ~638 img/s of HA")
        XCTAssertEqual(linked.capacity(.ht), 120_000, "independent plans do not cross the link")
    }

    /// A plan the model says meets the SLO but that measured over it is barred for a while
    /// (no flapping back every dwell); a speed change lifts the bar.
    func testPlanThatFailedByMeasurementIsBarred() throws {
        var c = AdaptiveController(goal: .sloP99(ms: 20), menu: Plan.menu(for: .fluid))
        let m = Self.model(slow: [.worker: 4])
        let both: Set<Role> = [.master, .worker]
        XCTAssertNil(c.decide(now: 10, running: .ht, offered: 5_000, measuredP99Ms: 117, alive: both, model: m), "one window is noise")
        XCTAssertEqual(c.strikes, 1)
        let away = try XCTUnwrap(c.decide(now: 10.5, running: .ht, offered: 5_000, measuredP99Ms: 117, alive: both, model: m))
        XCTAssertNotEqual(away.plan, .ht)
        XCTAssertTrue(away.reason.contains("measured p99 117 ms"), away.reason)
        XCTAssertEqual(c.barredUntil[.ht], 20.5)
        XCTAssertNil(c.decide(now: 16, running: away.plan, offered: 5_000, measuredP99Ms: 3, alive: both, model: m), "ht is barred")
        c.liftBars()
        XCTAssertEqual(c.decide(now: 16.5, running: away.plan, offered: 5_000, measuredP99Ms: 3, alive: both, model: m)?.plan, .ht)
    }

    /// A slow Worker in a joint plan under an SLO: its stalls hold up every joint image
    /// whatever the model predicts (it thinks ×2; the duty cycle is worse), so the
    /// controller leaves the joint plans at once (the process test once saw ha-100 →
    /// ha-75 → ht-50+u50, 2.2 s after the slowdown, against the issue's 2 s).
    func testAJointPlanFailingWithASlowDeviceLeavesEveryJointPlan() throws {
        var c = AdaptiveController(goal: .sloP99(ms: 20), menu: Plan.menu(for: .fluid))
        let m = Self.model(slow: [.worker: 2])   // the model thinks ×2; the duty cycle is worse
        let both: Set<Role> = [.master, .worker]
        // The Worker is SLOW: the joint plan is left at once, for a plan that is not joint,
        // not after two late windows.
        let away = try XCTUnwrap(c.decide(now: 10, running: .ha100, offered: 1_000, measuredP99Ms: 98, alive: both, model: m))
        XCTAssertFalse(away.plan.isJoint, "went to \(away.plan.rawValue): \(away.reason)")
        XCTAssertTrue(away.urgent)
        XCTAssertTrue(away.reason.contains("fails the goal"), away.reason)
    }

    /// Under an SLO no joint plan is entered while a device is SLOW, whatever the model
    /// predicts for it (its stalls are on every joint image's path); once the device is
    /// normal again HA comes back after the dwell.
    func testNoJointPlanIsEnteredWhileADeviceIsSlow() throws {
        var c = AdaptiveController(goal: .sloP99(ms: 50), menu: Plan.menu(for: .fluid))
        let both: Set<Role> = [.master, .worker]
        // ×2 slower Worker: ha-75 at 2 000 img/s has 6 500 of capacity and a predicted p99
        // well under 60 % of the SLO, so only the rule keeps the cluster on the halves.
        let slow = Self.model(slow: [.worker: 2])
        XCTAssertLessThanOrEqual(slow.predictedP99Ms(.ha75, offered: 2_000)!, 30)
        XCTAssertNil(c.decide(now: 100, running: .ht, offered: 2_000, measuredP99Ms: 1, alive: both, model: slow))
        // The goal of accuracy has no tail to protect: the rule is the SLO's.
        var a = AdaptiveController(goal: .accuracy, menu: Plan.menu(for: .fluid))
        XCTAssertTrue(a.decide(now: 100, running: .ht, offered: 2_000, measuredP99Ms: 1, alive: both, model: slow)?.plan.isJoint ?? false)
        let back = try XCTUnwrap(c.decide(now: 101, running: .ht, offered: 2_000, measuredP99Ms: 1, alive: both, model: Self.model()))
        XCTAssertEqual(back.plan, .ha100, back.reason)
    }
}
