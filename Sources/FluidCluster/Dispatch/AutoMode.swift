/// Auto mode (issue 5 item 2): HA while HA's measured capacity covers the offered rate
/// with headroom, HT otherwise, with hysteresis so that a rate near the boundary does not
/// flip the cluster back and forth. Pure; fed once per sample.
public struct AutoMode {
    public struct Settings: Sendable, Equatable {
        /// Leave HA when the offered rate exceeds this share of HA capacity.
        public var leaveHA = 0.85
        /// Return to HA when the offered rate is below this share of HA capacity
        /// (the gap to `leaveHA` is the hysteresis band).
        public var returnHA = 0.65
        /// Minimum time between two switches, seconds.
        public var minDwell = 3.0
        public init() {}
    }

    public struct Decision: Equatable, Sendable {
        public var mode: Mode
        public var reason: String
    }

    public let settings: Settings
    public private(set) var mode: Mode = .ha
    /// Best estimate of HA capacity, images/s: throughput measured while HA was saturated,
    /// or the highest seen in HA.
    public private(set) var haCapacity: Double?
    var lastSwitch = -Double.infinity

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// One sample: the mode in force, its throughput, whether the source had a backlog
    /// (the cluster, not the source, was the limit), and the offered rate (nil = as fast
    /// as possible). Returns a decision when the mode should change.
    public mutating func onSample(now: Double, running: Mode, throughput: Double,
                                  saturated: Bool, offeredRate: Double?) -> Decision? {
        mode = running
        if running == .ha, throughput > 0 {
            if saturated { haCapacity = throughput }
            else { haCapacity = max(haCapacity ?? 0, throughput) }
        }
        guard now - lastSwitch >= settings.minDwell else { return nil }
        let decision: Decision?
        switch running {
        case .ha:
            if offeredRate == nil, saturated {
                decision = Decision(mode: .ht, reason: "unbounded offered rate saturates HA (\(fmt(throughput)) img/s)")
            } else if let r = offeredRate, let c = haCapacity, r > settings.leaveHA * c {
                decision = Decision(mode: .ht, reason: "offered \(fmt(r)) img/s > \(Int(settings.leaveHA * 100))% of HA capacity \(fmt(c)) img/s")
            } else { decision = nil }
        case .ht:
            if let r = offeredRate, let c = haCapacity, r < settings.returnHA * c {
                decision = Decision(mode: .ha, reason: "offered \(fmt(r)) img/s < \(Int(settings.returnHA * 100))% of HA capacity \(fmt(c)) img/s")
            } else { decision = nil }
        }
        if let d = decision { mode = d.mode; lastSwitch = now }
        return decision
    }

    func fmt(_ x: Double) -> String { String(Int(x.rounded())) }
}
