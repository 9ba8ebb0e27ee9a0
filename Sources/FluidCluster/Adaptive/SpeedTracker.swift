import FluidModel

/// What the source measured in one window (the controller's adaptive tick).
public struct Observation: Sendable, Equatable {
    /// End of the window, seconds.
    public var now: Double
    /// Length of the window, seconds.
    public var seconds: Double
    /// The plan served during the whole window (a window across a plan change is not fed).
    public var plan: Plan
    /// Predictions each device answered in the window (joint plans: the Master answers).
    public var answered: [Role: Int]
    /// Whether the device had work waiting for it the whole window (its credit full and
    /// the source backlogged): only then is its rate its capacity.
    public var saturated: [Role: Bool]
    /// Median latency of its answers, ms.
    public var latencyP50Ms: [Role: Double]
    /// Longest gap between two heartbeats from the device, ms: a process that is stopped
    /// part of the time (a duty cycle, a CPU quota) heartbeats late even when idle.
    public var heartbeatGapMs: [Role: Double]

    public init(now: Double, seconds: Double, plan: Plan, answered: [Role: Int] = [:], saturated: [Role: Bool] = [:],
                latencyP50Ms: [Role: Double] = [:], heartbeatGapMs: [Role: Double] = [:]) {
        self.now = now; self.seconds = seconds; self.plan = plan; self.answered = answered
        self.saturated = saturated; self.latencyP50Ms = latencyP50Ms; self.heartbeatGapMs = heartbeatGapMs
    }
}

/// A device's measured speed against its model (issue 14's gray failure): `SLOW ×K` when
/// it serves K× below what its model says, `normal` again when it is back. Also keeps the
/// model's figures up to date from live windows: a saturated window of a healthy device
/// moves its rate, an unsaturated one its latency, never its capacity (an unsaturated
/// rate is the offered load, not what the device can do: the auto-mode bug of issue 14).
public struct SpeedTracker: Sendable {
    public struct Settings: Sendable, Equatable {
        /// SLOW when the measured rate is below the model's divided by this.
        public var slowMargin = 1.5
        /// Normal again when the measured rate is above the model's divided by this.
        public var recoverMargin = 1.25
        /// Latency (below saturation) counts as slow above this multiple of the model's…
        public var latencyFactor = 4.0
        /// …and this many ms above it (loopback latencies are tiny and jittery).
        public var latencySlackMs = 15.0
        /// A heartbeat gap above this many ms says the process is being stopped (the
        /// heartbeat interval is 50 ms; the event loop runs at real-time priority).
        public var heartbeatGapMs = 80.0
        /// Windows of normal figures before a SLOW device counts as recovered.
        public var recoverWindows = 2
        /// Weight of a new live figure in the model's moving average.
        public var learningRate = 0.3
        /// Slowdown assumed when only latency or heartbeats show it (no saturated rate).
        public var unmeasuredFactor = 2.0
        public init() {}
    }

    public enum State: Equatable, Sendable {
        case normal
        /// `factor`× slower than the model; `measured`: from a saturated rate (else a lower bound).
        case slow(factor: Double, measured: Bool)

        public var factor: Double? { if case .slow(let k, _) = self { return k } else { return nil } }
    }

    /// A change of a device's state, with the numbers that decided it.
    public struct Change: Equatable, Sendable {
        public var device: Role
        public var state: State
        public var reason: String
    }

    public var settings: Settings
    public private(set) var state: [Role: State] = [:]
    var goodWindows: [Role: Int] = [:]

    public init(settings: Settings = Settings()) { self.settings = settings }

    public func state(of d: Role) -> State { state[d] ?? .normal }

    /// One window: updates `model` (live figures, `speed`) and reports state changes.
    public mutating func observe(_ o: Observation, model: inout CostModel) -> [Change] {
        guard o.seconds > 0 else { return [] }
        var verdict: [Role: (slow: Double?, measured: Bool, why: String)] = [:]
        if case .joint = o.plan.job(for: .master) {
            verdict = judgeJoint(o, model: &model)
        } else {
            // An independent pair with both devices saturated: each is judged against the
            // other's rate/model ratio, not against its model alone. A limit both share (the
            // source's CPU, a loaded machine) slows both alike and is their capacity now; a
            // gray failure slows one. (Unthrottled on this 2-core box, both halves answered
            // at ~60 % of calibration and the Worker alone was called SLOW ×1.7.)
            var ratios: [Role: Double] = [:]
            if o.plan.isIndependentPair {
                for d in o.plan.requestTargets where o.saturated[d] == true {
                    if let s = o.plan.job(for: d).subnet, let r = model.solo[d]?[s], r.imagesPerSecond > 0 {
                        ratios[d] = Double(o.answered[d] ?? 0) / o.seconds / r.imagesPerSecond
                    }
                }
            }
            for d in o.plan.requestTargets {
                guard let s = o.plan.job(for: d).subnet else { continue }
                let peer = Role.allCases.first { $0 != d }.flatMap { ratios[$0] }
                verdict[d] = judgeSolo(d, s, o, peerRatio: ratios[d] != nil ? peer : nil, model: &model)
            }
        }
        // A device the plan leaves idle: only its heartbeats speak. Regular heartbeats for
        // the recovery windows end a SLOW state, so the controller tries it again.
        for d in Role.allCases where verdict[d] == nil {
            guard let gap = o.heartbeatGapMs[d] else { continue }
            if gap > settings.heartbeatGapMs {
                verdict[d] = (state(of: d).factor ?? settings.unmeasuredFactor, false,
                              "idle, heartbeat gap \(Self.ms(gap)) ms > \(Self.ms(settings.heartbeatGapMs)) ms")
            } else {
                verdict[d] = (nil, false, "idle, heartbeats every ≤ \(Self.ms(gap)) ms")
            }
        }
        var changes: [Change] = []
        for d in Role.allCases {
            guard let v = verdict[d] else { continue }
            let before = state(of: d)
            if let k = v.slow {
                goodWindows[d] = 0
                let next: State
                // A factor measured from a saturated rate beats a guess from latency.
                if !v.measured, case .slow(_, true) = before { next = before } else { next = .slow(factor: k, measured: v.measured) }
                state[d] = next
                model.speed[d] = 1 / (next.factor ?? 1)
                if before.factor == nil || (v.measured && abs((before.factor ?? 1) - k) / k > 0.25) {
                    changes.append(Change(device: d, state: next, reason: v.why))
                }
            } else if before != .normal {
                goodWindows[d, default: 0] += 1
                if goodWindows[d]! >= settings.recoverWindows {
                    state[d] = .normal
                    model.speed[d] = nil
                    goodWindows[d] = 0
                    changes.append(Change(device: d, state: .normal, reason: v.why))
                }
            }
        }
        return changes
    }

    /// A device running `s` alone: its rate against the model when saturated, else its latency.
    /// `peerRatio`: the other device's rate/model ratio in the same saturated window of an
    /// independent pair; this device is then slow only against it (capped at 1).
    mutating func judgeSolo(_ d: Role, _ s: Subnet, _ o: Observation, peerRatio: Double? = nil,
                            model: inout CostModel) -> (slow: Double?, measured: Bool, why: String)? {
        guard let r = model.solo[d]?[s] else { return nil }
        let rate = Double(o.answered[d] ?? 0) / o.seconds
        let gap = o.heartbeatGapMs[d] ?? 0
        if o.saturated[d] == true {
            let ratio = rate / r.imagesPerSecond / min(1, max(peerRatio ?? 1, 0.01))
            if ratio < 1 / settings.slowMargin {
                let peer = peerRatio.map { ", the other device at \(Self.n(min(1, $0) * 100)) % of its model" } ?? ""
                return (1 / max(ratio, 0.01), true, "\(d.rawValue) runs \(s.name) at \(Self.n(rate)) img/s while saturated, model \(Self.n(r.imagesPerSecond)) img/s\(peer)")
            }
            let slowBefore = state(of: d).factor != nil
            if !slowBefore || ratio > 1 / settings.recoverMargin {
                // A healthy saturated window is the capacity: the model learns it.
                if !slowBefore || ratio >= 1 { learn(&model.solo[d]![s]!, rate: rate) }
                return (nil, true, "\(d.rawValue) runs \(s.name) at \(Self.n(rate)) img/s while saturated, model \(Self.n(r.imagesPerSecond)) img/s")
            }
            return (state(of: d).factor, false, "\(d.rawValue) still below its model (\(Self.n(rate)) of \(Self.n(r.imagesPerSecond)) img/s)")
        }
        guard let lat = o.latencyP50Ms[d] else {
            if gap > settings.heartbeatGapMs { return (state(of: d).factor ?? settings.unmeasuredFactor, false, "\(d.rawValue) heartbeat gap \(Self.ms(gap)) ms") }
            return (nil, false, "\(d.rawValue) no answers, heartbeats regular")
        }
        if lat > r.latencyMs * settings.latencyFactor, lat > r.latencyMs + settings.latencySlackMs {
            return (state(of: d).factor ?? settings.unmeasuredFactor, false,
                    "\(d.rawValue) p50 \(Self.ms(lat)) ms below saturation, model \(Self.ms(r.latencyMs)) ms")
        }
        if gap > settings.heartbeatGapMs {
            return (state(of: d).factor ?? settings.unmeasuredFactor, false, "\(d.rawValue) heartbeat gap \(Self.ms(gap)) ms")
        }
        if state(of: d) == .normal { learnLatency(&model.solo[d]![s]!, latency: lat) }
        return (nil, false, "\(d.rawValue) p50 \(Self.ms(lat)) ms, model \(Self.ms(r.latencyMs)) ms")
    }

    /// A joint plan: the pair is as slow as its slower device; the heartbeats say which.
    mutating func judgeJoint(_ o: Observation, model: inout CostModel) -> [Role: (slow: Double?, measured: Bool, why: String)] {
        guard let r = model.joint[o.plan] else { return [:] }
        let rate = Double(o.answered[.master] ?? 0) / o.seconds
        let gaps = Role.allCases.map { o.heartbeatGapMs[$0] ?? 0 }
        let suspects = Role.allCases.filter { (o.heartbeatGapMs[$0] ?? 0) > settings.heartbeatGapMs }
        var pairSlow: (Double, Bool, String)?
        if o.saturated[.master] == true {
            let ratio = rate / r.imagesPerSecond
            if ratio < 1 / settings.slowMargin, !suspects.isEmpty || Role.allCases.contains(where: { state(of: $0) != .normal }) {
                pairSlow = (1 / max(ratio, 0.01), true, "\(o.plan.rawValue) at \(Self.n(rate)) img/s while saturated, model \(Self.n(r.imagesPerSecond)) img/s")
            } else if ratio < 1 / settings.slowMargin {
                // Saturated below its model with neither device stopping (heartbeats
                // regular): the pair's capacity here and now (a loaded machine, a busier
                // link), not a gray failure of either device. Saturation proves it, so the
                // model takes it whole, and the other joint plans, which share the same
                // two cores and link, are scaled by the same factor (a bench on the
                // loaded box otherwise stepped from a saturated ha-100 into ha-75, which
                // the same load saturated too).
                for p in model.joint.keys where p != o.plan { model.joint[p]!.imagesPerSecond *= ratio; model.joint[p]!.origin = .live }
                model.joint[o.plan]!.imagesPerSecond = rate
                model.joint[o.plan]!.origin = .live
            } else if suspects.isEmpty {
                if Role.allCases.allSatisfy({ state(of: $0) == .normal }) || ratio >= 1 { learn(&model.joint[o.plan]!, rate: rate) }
            }
        } else if let lat = o.latencyP50Ms[.master], lat > r.latencyMs * settings.latencyFactor, lat > r.latencyMs + settings.latencySlackMs {
            pairSlow = (settings.unmeasuredFactor, false, "\(o.plan.rawValue) p50 \(Self.ms(lat)) ms below saturation, model \(Self.ms(r.latencyMs)) ms")
        } else if let lat = o.latencyP50Ms[.master], suspects.isEmpty, Role.allCases.allSatisfy({ state(of: $0) == .normal }) {
            learnLatency(&model.joint[o.plan]!, latency: lat)
        }
        var out: [Role: (slow: Double?, measured: Bool, why: String)] = [:]
        for d in Role.allCases {
            let gap = gaps[d == .master ? 0 : 1]
            if let (k, measured, why) = pairSlow, suspects.contains(d) || suspects.isEmpty && state(of: d).factor != nil {
                out[d] = (k, measured, "\(why); \(d.rawValue) heartbeat gap \(Self.ms(gap)) ms")
            } else if suspects.contains(d) {
                out[d] = (state(of: d).factor ?? settings.unmeasuredFactor, false, "\(d.rawValue) heartbeat gap \(Self.ms(gap)) ms > \(Self.ms(settings.heartbeatGapMs)) ms")
            } else if pairSlow == nil {
                out[d] = (nil, false, "\(o.plan.rawValue) at \(Self.n(rate)) img/s, \(d.rawValue) heartbeats every ≤ \(Self.ms(gap)) ms")
            }
        }
        return out
    }

    func learn(_ r: inout CostModel.Rate, rate: Double) {
        r.imagesPerSecond += settings.learningRate * (rate - r.imagesPerSecond)
        r.origin = .live
    }

    func learnLatency(_ r: inout CostModel.Rate, latency: Double) {
        r.latencyMs += settings.learningRate * (latency - r.latencyMs)
        r.origin = .live
    }

    static func n(_ x: Double) -> String { String(Int(x.rounded())) }
    static func ms(_ x: Double) -> String { AdaptiveController.ms(x) }
}
