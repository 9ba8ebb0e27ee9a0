import FluidModel

/// Picks the plan from the kind's menu that meets the user's goal (issue 14), from the
/// measured cost model and the load. Pure: fed once per adaptive window with the time, the
/// plan running, the offered rate and the measured p99; returns a switch, or nil to stay.
///
/// Hysteresis: a plan is *chosen* only with headroom (`enterUtilization`, `sloEnter`) and
/// *kept* until it really fails the goal (`stayUtilization`, the SLO itself), so a load at a
/// boundary does not flip the cluster. Minimum dwell: after a switch, upgrades wait
/// `minDwell`; a switch away from a plan that fails its goal (a device slowed, the load
/// rose) is never held back. Every switch says why, with the numbers that decided it.
///
/// Auto mode (`--mode auto`) is the special case `autoMode(kind:)`: goal accuracy over the
/// menu {`ha-100`, the kind's HT plan}.
public struct AdaptiveController: Sendable {
    public struct Settings: Sendable, Equatable {
        /// A plan is chosen only while the offered rate is at most this share of its capacity…
        public var enterUtilization = 0.75
        /// …and kept while the rate stays below this share (the gap is the hysteresis band).
        public var stayUtilization = 0.9
        /// The same bounds under an SLO, lower: a queue's tail grows long before its
        /// throughput runs out, and `ha-100`'s p99 on a loaded 2-core box passed 50 ms at
        /// 88 % of its capacity (`fluid bench adaptive`).
        public var sloEnterUtilization = 0.7
        public var sloStayUtilization = 0.8
        /// For an SLO: chosen only if its predicted p99 is at most this share of the SLO…
        public var sloEnter = 0.6
        /// …and kept while the predicted and the measured p99 stay under the SLO.
        public var sloStay = 1.0
        /// Seconds between a switch and the next upgrade.
        public var minDwell = 5.0
        /// Accuracies closer than this (0.12 pp, about the noise between two training
        /// seeds) count as equal, and the faster plan wins: Fluid's `u50` alone (98.66 %)
        /// is not worth half the capacity of both halves (98.60 %).
        public var accuracyTolerance = 0.0012
        /// Seconds a plan that failed the goal by *measurement* while the model predicted
        /// it would meet it may not be chosen again (the model is wrong about it: a duty-
        /// cycled device's stops, say). Doubles on each repeat; a device's speed changing
        /// state lifts every bar (the model changed).
        public var barSeconds = 10.0
        /// Consecutive windows whose measured p99 is over the SLO before the running plan
        /// counts as failing it by measurement: one late window on a loaded machine is
        /// noise, and every switch costs a transient of its own. (A plan the model predicts
        /// over the SLO — a device slowed, the load risen — fails at once.)
        public var sloStrikes = 2
        public init() {}
    }

    public struct Decision: Equatable, Sendable {
        public var plan: Plan
        public var reason: String
        /// The figures that decided it (`offered`, `from_capacity`, `to_p99_ms`, …).
        public var numbers: [String: Double]
        /// The running plan failed the goal (taken at once, whatever the dwell).
        public var urgent: Bool
    }

    public var goal: Goal
    public var menu: [Plan]
    public var settings: Settings
    public private(set) var lastSwitch = -Double.infinity
    /// Plans barred until a time, and how long the last bar of each was.
    public private(set) var barredUntil: [Plan: Double] = [:]
    var lastBar: [Plan: Double] = [:]
    /// Consecutive windows of the running plan measured over the SLO.
    public private(set) var strikes = 0

    public init(goal: Goal, menu: [Plan], settings: Settings = Settings()) {
        self.goal = goal; self.menu = menu; self.settings = settings
    }

    /// `--mode auto`: HA while its capacity serves the offered rate with headroom, else the
    /// kind's HT plan (Static has only `ha-100`).
    public static func autoMode(kind: ModelKind, settings: Settings = Settings()) -> AdaptiveController {
        let ht = Planner.plan(kind: kind, alive: [.master, .worker], mode: .ht)
        return AdaptiveController(goal: .accuracy, menu: ht == .ha100 ? [.ha100] : [.ha100, ht], settings: settings)
    }

    /// The plan served changed other than by this controller (the user, a failure, a
    /// revival): the dwell starts again, so an upgrade does not add a second switch to the
    /// transient of the first (a Master revived into ha-75 and upgraded to ha-100 0.7 s
    /// later gave a second of p99 62 ms in `fluid bench adaptive`).
    public mutating func noteSwitch(now: Double) { lastSwitch = now }

    /// A device's measured speed changed state: the model's predictions changed, so the
    /// plans barred under the old ones may be tried again.
    public mutating func liftBars() { barredUntil.removeAll() }

    struct Figures {
        var capacity: Double?
        var accuracy: Double?
        var p99: Double?
    }

    /// One window. `offered` nil: as fast as the cluster takes (no plan "serves" it: the
    /// fastest one is wanted). `measuredP99Ms`: the running plan's p99 in the window.
    /// `urgentOnly`: only leave a running plan that fails the goal; an upgrade waits for the
    /// next window's measurements (the runtime decides so between windows).
    public mutating func decide(now: Double, running: Plan, offered: Double?, measuredP99Ms: Double?,
                                alive: Set<Role>, model: CostModel, urgentOnly: Bool = false) -> Decision? {
        if case .sloP99(let slo) = goal, let m = measuredP99Ms {
            strikes = m > slo * settings.sloStay ? strikes + 1 : 0
        }
        // A joint plan with a slow device that fails the SLO by measurement while the model
        // says it meets it: the model does not see how that device's stalls hold up every
        // joint image, so the other joint plans (the same two devices on every image) would
        // fail alike. Skip them now instead of trying each in turn.
        var jointFailed = false
        if case .sloP99(let slo) = goal, strikes >= settings.sloStrikes, running.isJoint,
           running.devices.contains(where: { model.speed(of: $0) < 1 }),
           let r = offered, let p = model.predictedP99Ms(running, offered: r), p <= slo * settings.sloStay {
            jointFailed = true
        }
        // Under an SLO, no joint plan is entered or kept while a device is SLOW: a joint image
        // waits for both devices, so a device that is stopped part of the time (a duty
        // cycle, a throttled CPU) puts its stalls on every image's path, and the model's
        // rate does not see the tail. Measured in `fluid bench adaptive`: with the Worker
        // at "×2" (heartbeats only), ha-75 was predicted 29 ms at 5.4 k img/s and measured
        // 92 ms. An independent plan keeps the slow device's share small instead.
        var sloGoal = false
        if case .sloP99 = goal { sloGoal = true }
        let slowDevice = Role.allCases.contains { model.speed(of: $0) < 1 }
        let candidates = menu.filter {
            ($0 == running || (barredUntil[$0] ?? -.infinity) <= now) && $0.devices.isSubset(of: alive) && $0 != .none
                && !(jointFailed && $0.isJoint && $0 != running)
                && !(sloGoal && slowDevice && $0.isJoint && $0 != running)
        }
        guard !candidates.isEmpty else { return nil }
        var fig: [Plan: Figures] = [:]
        for p in Set(candidates + [running]) {
            fig[p] = Figures(capacity: model.capacity(p), accuracy: model.accuracy(p),
                             p99: offered.flatMap { model.predictedP99Ms(p, offered: $0) })
        }
        func meets(_ p: Plan) -> Bool {
            let f = fig[p]!, stay = p == running
            switch goal {
            case .accuracy:
                guard let r = offered else { return false }
                guard let c = f.capacity else { return stay }
                return r <= c * (stay ? settings.stayUtilization : settings.enterUtilization)
            case .throughput(let minAccuracy):
                return (f.accuracy ?? 0) >= minAccuracy - 1e-9
            case .sloP99(let slo):
                if stay, strikes >= settings.sloStrikes { return false }
                // Nor is one kept: the stalls are on its path whatever the model predicts
                // (measured: the re-plan came a second after the slowdown, on two late
                // windows, instead of when the device was seen SLOW).
                if p.isJoint, slowDevice { return false }
                // Near saturation a queue's tail is all transient: the utilisation bounds
                // of the accuracy goal hold here too.
                if let r = offered, let c = f.capacity, r > c * (stay ? settings.sloStayUtilization : settings.sloEnterUtilization) { return false }
                guard let p99 = f.p99 else { return offered == nil ? false : stay }
                return p99 <= slo * (stay ? settings.sloStay : settings.sloEnter)
            }
        }
        func better(_ a: Plan, _ b: Plan, byAccuracy: Bool) -> Bool {
            let fa = fig[a]!, fb = fig[b]!
            let (x1, x2) = byAccuracy ? (fa.accuracy ?? 0, fb.accuracy ?? 0) : (fa.capacity ?? 0, fb.capacity ?? 0)
            if abs(x1 - x2) > (byAccuracy ? settings.accuracyTolerance : 1e-9) { return x1 > x2 }
            let (y1, y2) = byAccuracy ? (fa.capacity ?? 0, fb.capacity ?? 0) : (fa.accuracy ?? 0, fb.accuracy ?? 0)
            if abs(y1 - y2) > 1e-9 { return y1 > y2 }
            return a == running // keep what runs on a tie
        }
        let meeting = candidates.filter(meets)
        let best: Plan
        let why: String
        switch goal {
        case .accuracy, .sloP99:
            if let b = meeting.max(by: { better($1, $0, byAccuracy: true) }) {
                best = b; why = "the most accurate plan that meets it"
            } else if case .sloP99 = goal {
                best = candidates.min { (fig[$0]!.p99 ?? .infinity, -(fig[$0]!.capacity ?? 0)) < (fig[$1]!.p99 ?? .infinity, -(fig[$1]!.capacity ?? 0)) }!
                why = "no plan meets it: the lowest predicted p99"
            } else {
                best = candidates.max { better($1, $0, byAccuracy: false) }!
                why = offered == nil ? "unbounded offered rate: the fastest plan" : "no plan serves the offered rate: the fastest"
            }
        case .throughput:
            if let b = meeting.max(by: { better($1, $0, byAccuracy: false) }) {
                best = b; why = "the fastest plan accurate enough"
            } else {
                best = candidates.max { better($1, $0, byAccuracy: true) }!
                why = "no plan is accurate enough: the most accurate"
            }
        }
        guard best != running else { return nil }
        let urgent = !candidates.contains(running) || !meets(running)
        guard urgent || (!urgentOnly && now - lastSwitch >= settings.minDwell) else { return nil }
        lastSwitch = now
        defer { strikes = 0 }
        if case .sloP99(let slo) = goal, strikes >= settings.sloStrikes,
           let predicted = fig[running]?.p99, predicted <= slo * settings.sloStay {
            let bar = min(120, (lastBar[running] ?? settings.barSeconds / 2) * 2)
            lastBar[running] = bar
            barredUntil[running] = now + bar
            if jointFailed { for p in menu where p.isJoint && p != running { barredUntil[p] = max(barredUntil[p] ?? 0, now + bar) } }
        }
        return Decision(plan: best, reason: reason(running: running, best: best, why: why, urgent: urgent,
                                                   offered: offered, measuredP99Ms: measuredP99Ms, fig: fig, model: model),
                        numbers: numbers(running: running, best: best, offered: offered, measuredP99Ms: measuredP99Ms, fig: fig),
                        urgent: urgent)
    }

    func describe(_ p: Plan, _ f: Figures?, model: CostModel) -> String {
        var parts: [String] = []
        if let c = f?.capacity { parts.append("capacity \(Self.n(c)) img/s") } else { parts.append("capacity unmeasured") }
        if let a = f?.accuracy { parts.append("accuracy \(Goal.percent(a))") }
        if let p = f?.p99 { parts.append(p.isFinite ? "predicted p99 \(Self.ms(p)) ms" : "predicted p99 ∞ (over capacity)") }
        let slow = p.devices.filter { model.speed(of: $0) < 1 }.map { "\($0.rawValue) ×\(Self.ms(1 / model.speed(of: $0))) slower" }
        return "\(p.rawValue) (\((parts + slow).joined(separator: ", ")))"
    }

    func reason(running: Plan, best: Plan, why: String, urgent: Bool, offered: Double?, measuredP99Ms: Double?,
                fig: [Plan: Figures], model: CostModel) -> String {
        let load = offered.map { "offered \(Self.n($0)) img/s" } ?? "offered unbounded"
        var from = describe(running, fig[running], model: model)
        if let m = measuredP99Ms, case .sloP99 = goal { from += ", measured p99 \(Self.ms(m)) ms" }
        let state = urgent ? (menu.contains(running) ? "fails the goal" : "is not on this goal's menu") : "meets the goal"
        return "goal \(goal), \(load): \(from) \(state) → \(describe(best, fig[best], model: model)), \(why)"
    }

    func numbers(running: Plan, best: Plan, offered: Double?, measuredP99Ms: Double?, fig: [Plan: Figures]) -> [String: Double] {
        var n: [String: Double] = [:]
        n["offered"] = offered
        n["measured_p99_ms"] = measuredP99Ms
        for (side, p) in [("from", running), ("to", best)] {
            n["\(side)_capacity"] = fig[p]?.capacity
            n["\(side)_accuracy"] = fig[p]?.accuracy
            if let x = fig[p]?.p99, x.isFinite { n["\(side)_p99_ms"] = x }
        }
        return n
    }

    static func n(_ x: Double) -> String { String(Int(x.rounded())) }
    static func ms(_ x: Double) -> String {
        let r = x < 10 ? (x * 10).rounded() / 10 : x.rounded()
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
