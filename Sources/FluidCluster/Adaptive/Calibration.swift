import FluidModel

/// The cost model's start (issue 14): the source pins each plan that measures something
/// new, offers as much as the cluster takes, waits for the plan to be served and settle,
/// then counts each device's answers for a short window. Pure: fed with the time, the plan
/// served and the cumulative answers per device; says which plan to pin next, and when done
/// hands over the model. Independent pairs measure both devices at once (the two share
/// the machine as they do when serving); joint plans measure the pair.
public struct Calibration: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Seconds after the plan is served before counting (credits fill, engines warm).
        public var settle = 0.3
        /// Seconds counted per plan.
        public var measure = 0.7
        /// Give up on a plan that is not served within this many seconds (a device down).
        public var planTimeout = 3.0
        public init() {}
    }

    public enum Step: Equatable, Sendable {
        /// Ask the leader for this plan (and offer as much as it takes).
        case pin(Plan)
        /// Keep going.
        case wait
        /// Every plan measured (or skipped): the model.
        case done
    }

    public let plans: [Plan]
    public var settings: Settings
    public private(set) var model: CostModel
    /// Plans skipped because they were not served in time.
    public private(set) var skipped: [Plan] = []
    var index = 0
    var pinnedAt: Double?
    var servedAt: Double?
    var startCount: [Role: UInt64]?
    var startedAt = 0.0

    /// The plans that measure every figure `kind`'s menu needs: each joint plan, then
    /// independent pairs covering every (device, sub-network), then solo plans for what no
    /// pair covered (Dynamic has no pair).
    public static func plans(for kind: ModelKind, menu only: [Plan]? = nil) -> [Plan] {
        let menu = only ?? Plan.menu(for: kind)
        var out = menu.filter(\.isJoint)
        var covered: Set<String> = []
        func jobs(_ p: Plan) -> Set<String> {
            Set(Role.allCases.compactMap { d in p.job(for: d).subnet.map { "\(d.rawValue)/\($0.name)" } })
        }
        // Pairs that measure two new figures first (ht-50+u50, ht-25+u25), then any plan
        // that still measures one.
        for p in menu where p.isIndependentPair && jobs(p).isDisjoint(with: covered) {
            out.append(p); covered.formUnion(jobs(p))
        }
        for p in menu where !p.isJoint && !jobs(p).isSubset(of: covered) {
            out.append(p); covered.formUnion(jobs(p))
        }
        return out
    }

    /// `menu`: the plans the policy may choose (auto mode needs only HA and HT); nil: all.
    public init(kind: ModelKind, accuracy: [Subnet: Double], batchSize: Int, menu: [Plan]? = nil, settings: Settings = Settings()) {
        plans = Self.plans(for: kind, menu: menu)
        self.settings = settings
        model = CostModel(batchSize: batchSize)
        model.accuracy = accuracy
    }

    mutating func setLink(_ l: CostModel.Link?) { model.link = l }

    public var isDone: Bool { index >= plans.count }
    public var current: Plan? { isDone ? nil : plans[index] }

    /// One tick. `answered`: predictions per device since the start (cumulative counters).
    public mutating func step(now: Double, served: Plan, answered: [Role: UInt64]) -> Step {
        guard let p = current else { return .done }
        guard let pinned = pinnedAt else {
            pinnedAt = now
            return .pin(p)
        }
        guard let since = servedAt else {
            if served == p { servedAt = now } else if now - pinned > settings.planTimeout {
                skipped.append(p)
                return advance(now: now)
            }
            return .wait
        }
        guard let start = startCount else {
            if served != p { servedAt = nil; return .wait }
            if now - since >= settings.settle { startCount = answered; startedAt = now }
            return .wait
        }
        if served != p { servedAt = nil; startCount = nil; return .wait } // a failure: measure again
        let seconds = now - startedAt
        guard seconds >= settings.measure else { return .wait }
        record(p, seconds: seconds, answered: Role.allCases.reduce(into: [:]) { $0[$1] = (answered[$1] ?? 0) &- (start[$1] ?? 0) })
        return advance(now: now)
    }

    mutating func advance(now: Double) -> Step {
        index += 1
        servedAt = nil; startCount = nil
        guard let next = current else { pinnedAt = nil; return .done }
        pinnedAt = now
        return .pin(next)
    }

    /// Rates from counts. Latency below saturation is the time to compute one frame (the
    /// live windows replace it with the measured median).
    mutating func record(_ p: Plan, seconds: Double, answered: [Role: UInt64]) {
        func rate(_ r: Double) -> CostModel.Rate {
            CostModel.Rate(imagesPerSecond: r, latencyMs: r > 0 ? Double(model.batchSize) / r * 1000 : 1000)
        }
        if p.isJoint {
            model.joint[p] = rate(Double(answered[.master] ?? 0) / seconds)
            return
        }
        for d in p.devices {
            guard let s = p.job(for: d).subnet else { continue }
            model.solo[d, default: [:]][s] = rate(Double(answered[d] ?? 0) / seconds)
        }
    }
}
