import FluidModel

/// The source's adaptive loop (issue 14) as one pure instance, so the NIO shell only feeds
/// it and carries out what it says: answers and per-tick readings in; every `window`
/// seconds the window goes to the `SpeedTracker` (SLOW states, live cost model) and the
/// `AdaptiveController` (the plan for the goal); at start a `Calibration` when the policy
/// needs a model. Out come actions: the plan to want from the leader, speed changes,
/// calibration steps.
public struct AdaptiveRuntime: Sendable {
    /// Who picks the plan.
    public enum Policy: Equatable, Sendable, CustomStringConvertible {
        /// The failure table for the mode (`--mode ha|ht`): nothing is wanted.
        case table
        /// `--mode auto`: the accuracy goal over {`ha-100`, the kind's HT plan}.
        case auto
        /// `--goal …`: the controller over the kind's whole menu.
        case goal(Goal)
        /// `--plan NAME`: this plan while its devices are alive.
        case pinned(Plan)

        public var description: String {
            switch self {
            case .table: return "table"
            case .auto: return "auto"
            case .goal(let g): return "goal \(g)"
            case .pinned(let p): return "plan \(p.rawValue)"
            }
        }

        /// Whether it needs a measured model before it can decide.
        public var calibrates: Bool {
            switch self {
            case .auto, .goal: return true
            case .table, .pinned: return false
            }
        }
    }

    public struct Settings: Sendable, Equatable {
        /// Seconds per adaptive window: a 4× slowdown is seen in the first window that
        /// overlaps it by half and re-planned at its end, within the 2 s.
        public var window = 0.5
        /// Share of a window's ticks a device must be saturated for the window to count
        /// as saturated (its rate is then its capacity).
        public var saturatedShare = 0.8
        public init() {}
    }

    public enum Action: Equatable, Sendable {
        /// Ask the leader for this plan (nil: the failure table for the mode).
        case want(Plan?, reason: String, numbers: [String: Double])
        /// A device's measured speed changed state.
        case speed(Role, SpeedTracker.State, reason: String)
        /// Calibration pinned this plan (offer as much as it takes meanwhile).
        case calibrating(Plan)
        /// Calibration finished; the model is complete.
        case calibrated(skipped: [Plan])
    }

    public let kind: ModelKind
    public var settings: Settings
    public private(set) var policy: Policy
    public private(set) var model: CostModel
    public private(set) var tracker = SpeedTracker()
    public private(set) var calibration: Calibration?
    public private(set) var controller: AdaptiveController?
    /// What the source asks the leader for now.
    public private(set) var wanted: Plan?
    /// The last window's measured p99, ms.
    public private(set) var lastP99Ms: Double?

    // The open window.
    /// Windows closed since the plan served last changed: the first one after a change
    /// still holds the switch's transient (requests re-routed, queues refilling), so its
    /// p99 does not judge the new plan.
    var windowsSinceChange = 0
    var windowStart: Double?
    /// The offered rate of the last decision (nil: none yet; .some(nil): unbounded).
    var decidedOffered: Double??
    var windowPlan: Plan?
    var answered: [Role: Int] = [:]
    var latencies: [Role: [Double]] = [:]
    var allLatencies: [Double] = []
    var ticks = 0
    var saturatedTicks: [Role: Int] = [:]
    var maxSilence: [Role: Double] = [:]
    /// Cumulative answers per device (calibration counts from them).
    public private(set) var answeredTotal: [Role: UInt64] = [:]

    public init(kind: ModelKind, policy: Policy, accuracy: [Subnet: Double], batchSize: Int, settings: Settings = Settings()) {
        self.kind = kind
        self.settings = settings
        self.policy = policy
        model = CostModel(batchSize: batchSize)
        model.accuracy = accuracy
        apply(policy: policy)
        if policy.calibrates { calibration = Calibration(kind: kind, accuracy: accuracy, batchSize: batchSize, menu: controller?.menu) }
    }

    public var isCalibrating: Bool { calibration != nil }

    /// A new policy (the dashboard's keys, or the CLI at start). A policy that needs the
    /// model calibrates first if it was never measured.
    public mutating func set(policy p: Policy, now: Double) -> [Action] {
        policy = p
        apply(policy: p)
        if p.calibrates, calibration == nil, let menu = controller?.menu, menu.contains(where: { model.capacity($0) == nil }) {
            // Some plan of the new menu was never measured.
            calibration = Calibration(kind: kind, accuracy: model.accuracy, batchSize: model.batchSize, menu: menu)
            calibration?.setLink(model.link)
        }
        controller?.noteSwitch(now: -Double.infinity)
        switch p {
        case .table: return [.want(nil, reason: "policy \(p)", numbers: [:])]
        case .pinned(let plan): return [.want(plan, reason: "pinned by the user", numbers: [:])]
        case .auto, .goal: return []
        }
    }

    mutating func apply(policy p: Policy) {
        switch p {
        case .table:
            controller = nil; wanted = nil
        case .pinned(let plan):
            controller = nil; wanted = plan
        case .auto:
            controller = AdaptiveController.autoMode(kind: kind)
        case .goal(let g):
            controller = AdaptiveController(goal: g, menu: Plan.menu(for: kind))
        }
    }

    /// The link as configured or measured (the joint plans' bound).
    public mutating func setLink(_ l: CostModel.Link?) {
        model.link = l
        calibration?.setLink(l)
    }

    /// A frame of `count` predictions from `d`, answered after `latencyMs` (the requests
    /// of one frame wait for the same computation: one latency stands for the frame).
    public mutating func noteAnswers(_ d: Role, count: Int, latencyMs: Double) {
        guard count > 0 else { return }
        answered[d, default: 0] += count
        answeredTotal[d, default: 0] += UInt64(count)
        if latencies[d, default: []].count < 4_096 {
            latencies[d, default: []].append(latencyMs)
            allLatencies.append(latencyMs)
        }
    }

    /// An answer (a prediction) from `d`.
    public mutating func noteAnswer(_ d: Role, latencyMs: Double) {
        answered[d, default: 0] += 1
        answeredTotal[d, default: 0] += 1
        // Bounded: a window at 200 k img/s keeps a sample of its latencies.
        if latencies[d, default: []].count < 4_096 || answered[d]! % 16 == 0 {
            latencies[d, default: []].append(latencyMs)
            allLatencies.append(latencyMs)
        }
    }

    /// The shell's tick: what it reads now. `saturated`: the device's credit is full and
    /// requests wait at the source; `silenceMs`: how long since the source last heard it.
    public mutating func tick(now: Double, served: Plan, saturated: [Role: Bool], silenceMs: [Role: Double],
                              offered: Double?, alive: Set<Role>) -> [Action] {
        var out: [Action] = []
        if var c = calibration {
            let step = c.step(now: now, served: served, answered: answeredTotal)
            calibration = c
            switch step {
            case .pin(let p):
                wanted = p
                out.append(.calibrating(p))
                out.append(.want(p, reason: "calibration: measuring \(p.rawValue) at full load", numbers: [:]))
            case .wait:
                break
            case .done:
                // A later calibration (a new policy's menu) adds to what was learnt.
                for (p, r) in c.model.joint { model.joint[p] = r }
                for (d, m) in c.model.solo { for (s, r) in m { model.solo[d, default: [:]][s] = r } }
                calibration = nil
                out.append(.calibrated(skipped: c.skipped))
                resetWindow(now: now, plan: served)
                // The first decision comes from the first window; meanwhile the best plan
                // the model knows for the goal at the offered rate.
                if let ctl = controller {
                    decidedOffered = offered
                    var ctl2 = ctl
                    if let d = ctl2.decide(now: now, running: .none, offered: offered, measuredP99Ms: nil, alive: alive, model: model) {
                        wanted = d.plan
                        out.append(.want(d.plan, reason: "calibrated: " + d.reason, numbers: d.numbers))
                    }
                    ctl2.noteSwitch(now: now)
                    controller = ctl2
                } else {
                    out.append(.want(wanted, reason: "calibrated: policy \(policy)", numbers: [:]))
                }
            }
            return out
        }
        // A window across a plan change measures two plans: start again. The change
        // restarts the upgrade dwell too.
        let planChanged = windowStart == nil || windowPlan != served
        if planChanged {
            if windowStart != nil { controller?.noteSwitch(now: now) }
            resetWindow(now: now, plan: served)
            windowsSinceChange = 0
        }
        // The offered rate is known the moment it changes (the user's `--rate`, the bench's
        // ramp): leave a plan that cannot serve it at once instead of at the window's end,
        // so a step up does not overload the plan for up to a window. An upgrade waits for
        // a window of the new load: the bench's load fell at the instant the Worker was
        // slowed, and an upgrade into ha-100 at once ran half a second with the stalled
        // Worker (p99 309 ms).
        if let ctl = controller, offeredChanged(offered) {
            var c = ctl
            decidedOffered = offered
            if let d = c.decide(now: now, running: served, offered: offered, measuredP99Ms: nil, alive: alive, model: model,
                                urgentOnly: true),
               d.plan != wanted {
                wanted = d.plan
                out.append(.want(d.plan, reason: d.reason, numbers: d.numbers))
            }
            controller = c
            // The next window measures the new load only (like a window across a plan
            // change): the upgrade it may bring sees a device that slowed at the step.
            resetWindow(now: now, plan: served)
        }
        guard !planChanged, let start = windowStart else { return out }
        ticks += 1
        for d in Role.allCases {
            if saturated[d] == true { saturatedTicks[d, default: 0] += 1 }
            if let s = silenceMs[d] { maxSilence[d] = max(maxSilence[d] ?? 0, s) }
        }
        guard now - start >= settings.window else { return out }
        let o = Observation(now: now, seconds: now - start, plan: served, answered: answered,
                            saturated: Role.allCases.reduce(into: [:]) { r, d in
                                r[d] = Double(saturatedTicks[d] ?? 0) >= settings.saturatedShare * Double(max(ticks, 1))
                            },
                            latencyP50Ms: latencies.compactMapValues { Self.percentile($0, 0.5) },
                            heartbeatGapMs: maxSilence.filter { alive.contains($0.key) })
        lastP99Ms = Self.percentile(allLatencies, 0.99)
        let judged = windowsSinceChange >= 1 ? lastP99Ms : nil
        windowsSinceChange += 1
        resetWindow(now: now, plan: served)
        let changes = tracker.observe(o, model: &model)
        for c in changes { out.append(.speed(c.device, c.state, reason: c.reason)) }
        if var ctl = controller {
            decidedOffered = offered
            if !changes.isEmpty { ctl.liftBars() }
            if let d = ctl.decide(now: now, running: served, offered: offered, measuredP99Ms: judged, alive: alive, model: model),
               d.plan != wanted {
                wanted = d.plan
                out.append(.want(d.plan, reason: d.reason, numbers: d.numbers))
            }
            controller = ctl
        }
        return out
    }

    /// Whether the offered rate moved by more than 5 % (or to or from unbounded) since the
    /// last decision.
    func offeredChanged(_ offered: Double?) -> Bool {
        guard let last = decidedOffered else { return false }
        switch (last, offered) {
        case (nil, nil): return false
        case (let a?, let b?): return abs(b - a) > 0.05 * max(a, 1)
        default: return true
        }
    }

    mutating func resetWindow(now: Double, plan: Plan) {
        windowStart = now; windowPlan = plan
        answered = [:]; latencies = [:]; allLatencies = []; ticks = 0; saturatedTicks = [:]; maxSilence = [:]
    }

    static func percentile(_ xs: [Double], _ q: Double) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        return s[min(s.count - 1, Int(Double(s.count - 1) * q + 0.5))]
    }
}
