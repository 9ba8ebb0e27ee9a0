import FluidVocabulary

// ModelKind, ModeSetting, Role, DeviceState and Plan are the shared vocabulary
// (FluidVocabulary): the cluster, the session log and this screen read one table.

/// What one device reports. Unknown numbers are `nil` and drawn as `–`.
public struct DeviceStatus: Equatable, Sendable {
    public var name: Role
    public var state: DeviceState
    /// The leader owns the plan: the Master while it is alive, else the Worker.
    public var isLeader: Bool
    /// What it runs under the plan being served (nil when idle or not live).
    public var job: DeviceJob
    /// Images it computed per second (its heartbeats; in HA both compute every image).
    public var imagesPerSecond: Double?
    /// Predictions the source received from it per second.
    public var answersPerSecond: Double?
    /// Over its own answers (in a joint plan, the joint answers the Master returns).
    public var latencyP50ms: Double?
    public var latencyP99ms: Double?
    /// Time since the last heartbeat from this device, as the peer saw it.
    public var heartbeatAgeMs: Double?
    public var bytesSent: UInt64?
    public var bytesReceived: UInt64?
    /// The node process, when the dashboard started it (tests look for it after quit).
    public var pid: Int32?
    /// Measured `SLOW ×K` (issue 14): K while the device serves K× below its model.
    public var slowFactor: Double?

    public init(name: Role, state: DeviceState = .up, isLeader: Bool = false,
                job: DeviceJob = .idle, imagesPerSecond: Double? = nil, answersPerSecond: Double? = nil,
                latencyP50ms: Double? = nil, latencyP99ms: Double? = nil,
                heartbeatAgeMs: Double? = nil, bytesSent: UInt64? = nil,
                bytesReceived: UInt64? = nil, pid: Int32? = nil) {
        self.name = name
        self.state = state
        self.isLeader = isLeader
        self.job = job
        self.imagesPerSecond = imagesPerSecond
        self.answersPerSecond = answersPerSecond
        self.latencyP50ms = latencyP50ms
        self.latencyP99ms = latencyP99ms
        self.heartbeatAgeMs = heartbeatAgeMs
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.pid = pid
    }
}

/// How bad an event is; drawn with a role, a glyph and a word.
public enum EventSeverity: String, CaseIterable, Sendable {
    case info, recovery, warning, failure
}

/// One line of the event log: a failure (with detect and resume ms), a plan
/// change (with its reason), a recovery, a user action.
public struct DashboardEvent: Equatable, Sendable {
    /// Strictly increasing per session; lets a consumer see what is new.
    public var sequence: Int
    /// Seconds since the session started.
    public var time: Double
    public var text: String
    public var severity: EventSeverity
    /// True for faults and mode/kind switches: the asciicast gets a marker.
    public var isMarker: Bool

    public init(sequence: Int, time: Double, text: String, severity: EventSeverity = .info,
                isMarker: Bool = false) {
        self.sequence = sequence
        self.time = time
        self.text = text
        self.severity = severity
        self.isMarker = isMarker
    }
}

/// Request accounting (docs/cli.md summary). `lost` is known only once a run has
/// drained (it must be 0); while running, `inFlight` is what has no answer yet.
public struct RequestCounters: Equatable, Sendable {
    public var sent: Int
    /// Predictions + unavailable answers.
    public var answered: Int
    /// Answers that carried a prediction.
    public var predicted: Int
    public var unavailable: Int
    public var inFlight: Int?
    public var lost: Int?

    public init(sent: Int = 0, answered: Int = 0, predicted: Int? = nil, unavailable: Int = 0, inFlight: Int? = nil,
                lost: Int? = nil) {
        self.sent = sent
        self.answered = answered
        self.predicted = predicted ?? max(0, answered - unavailable)
        self.unavailable = unavailable
        self.inFlight = inFlight
        self.lost = lost
    }
}

/// Everything the dashboard draws, as plain values: the live cluster and the replay
/// both produce one of these per frame. The dashboard never asks the network.
public struct DashboardSnapshot: Equatable, Sendable {
    public var kind: ModelKind
    public var mode: ModeSetting
    /// The plan being served; `.none` when no device serves.
    public var plan: Plan
    public var planReason: String
    /// Seconds since the session started.
    public var sessionTime: Double
    /// Answered predictions per second over the last second (all devices).
    public var throughput: Double
    /// Accuracy (0…1) over the newest ≥ 2 000 predictions (up to a minute); nil before the first.
    public var accuracy: Double?
    /// Predictions `accuracy` is over: the precision shown follows it.
    public var accuracyCount: Int
    /// Full, degraded or outage: the header's colour and word.
    public var health: Health
    /// *Unavailable* answers per second over the last second.
    public var unavailableRate: Double
    /// Answers per second from each device, oldest first (the graph's series).
    public var masterHistory: [Double]
    public var workerHistory: [Double]
    /// *Unavailable* answers per second, oldest first (marks outage seconds in the graph).
    public var unavailableHistory: [Double]
    /// Offered input rate in images per second; nil when unthrottled.
    public var offeredRate: Double?
    public var recording: Bool
    public var master: DeviceStatus
    public var worker: DeviceStatus
    /// Oldest first; one value per sample (≈ per second): predictions per second.
    public var throughputHistory: [Double]
    /// Oldest first, 0…1.
    public var accuracyHistory: [Double]
    /// Oldest first; the dashboard shows the newest that fit.
    public var events: [DashboardEvent]
    public var counters: RequestCounters
    /// A one-line note for the status bar (e.g. "replay 2×", "starting nodes…").
    public var status: String?
    /// The Master ↔ Worker link is cut (shown on the link between the device panels).
    public var linkCut = false
    /// Who picks the plan when it is not the mode's table: "GOAL" (the adaptive
    /// controller), "PINNED" (`--plan`); the header shows it in place of the mode, which
    /// then says nothing about the plan. nil: the mode.
    public var policyLabel: String?
    /// The plan view (`p`): the kind's menu as the cost model sees it; nil when the
    /// driver has no model to show (the view says so).
    public var planMap: PlanMap?

    public init(kind: ModelKind = .fluid, mode: ModeSetting = .ha, plan: Plan = .none,
                planReason: String = "", sessionTime: Double = 0, throughput: Double = 0,
                accuracy: Double? = nil, accuracyCount: Int = 0, health: Health? = nil,
                unavailableRate: Double = 0, offeredRate: Double? = nil, recording: Bool = false,
                master: DeviceStatus = DeviceStatus(name: .master, isLeader: true),
                worker: DeviceStatus = DeviceStatus(name: .worker),
                throughputHistory: [Double] = [], accuracyHistory: [Double] = [],
                events: [DashboardEvent] = [], counters: RequestCounters = RequestCounters(),
                status: String? = nil) {
        self.kind = kind
        self.mode = mode
        self.plan = plan
        self.planReason = planReason
        self.sessionTime = sessionTime
        self.throughput = throughput
        self.accuracy = accuracy
        self.accuracyCount = accuracyCount
        self.health = health ?? (plan == .none ? .outage : .full)
        self.unavailableRate = unavailableRate
        self.masterHistory = []
        self.workerHistory = []
        self.unavailableHistory = []
        self.offeredRate = offeredRate
        self.recording = recording
        self.master = master
        self.worker = worker
        self.throughputHistory = throughputHistory
        self.accuracyHistory = accuracyHistory
        self.events = events
        self.counters = counters
        self.status = status
    }

    public func device(_ name: Role) -> DeviceStatus {
        name == .master ? master : worker
    }
}

/// One plan of the menu as the cost model predicts it (issue 14's plan view).
public struct PlanPoint: Equatable, Sendable {
    public var plan: Plan
    /// Images/s it serves saturated at the devices' current speeds; nil: not measured yet.
    public var capacity: Double?
    /// Expected accuracy, 0…1; nil when unknown.
    public var accuracy: Double?

    public init(plan: Plan, capacity: Double?, accuracy: Double?) {
        self.plan = plan
        self.capacity = capacity
        self.accuracy = accuracy
    }

    /// Both coordinates known: the point can be drawn.
    public var isMeasured: Bool {
        guard let c = capacity, let a = accuracy else { return false }
        return c.isFinite && a.isFinite
    }
}

/// The line the goal draws across the plan view.
public enum PlanConstraint: Equatable, Sendable {
    /// The accuracy goal (and auto mode), the SLO goal: the offered rate, a vertical line;
    /// plans left of it cannot serve it.
    case offeredRate(Double)
    /// `--goal throughput`: the least accuracy, a horizontal line; plans below it are out.
    case minAccuracy(Double)
}

/// What the plan view draws: every plan of the menu, the goal and its constraint.
public struct PlanMap: Equatable, Sendable {
    /// The kind's menu, in menu order.
    public var points: [PlanPoint]
    /// The policy in words: "goal accuracy", "auto", "table (no goal)", …
    public var goal: String
    public var constraint: PlanConstraint?
    /// Why nothing is drawn, or what is going on (calibrating): shown under the title.
    public var note: String?
    /// The share of its capacity the offered rate may use for a plan to be *chosen* (the
    /// controller's headroom, 0.75): with a rate line, a plan meets the goal from
    /// rate / headroom (marked `▲` on the axis). nil: the line alone.
    public var headroom: Double?

    public init(points: [PlanPoint], goal: String, constraint: PlanConstraint? = nil, note: String? = nil,
                headroom: Double? = nil) {
        self.points = points
        self.goal = goal
        self.constraint = constraint
        self.note = note
        self.headroom = headroom
    }

    /// The plan pinned, from the policy's words ("plan solo-u25", as samples record a
    /// pin, or the live driver's "pinned solo-u25"); nil when none is.
    public var pinned: Plan? {
        for prefix in ["plan ", "pinned "] where goal.hasPrefix(prefix) {
            return Plan(rawValue: String(goal.dropFirst(prefix.count).prefix { $0 != " " }))
        }
        return nil
    }

    /// The capacity a plan needs to be chosen for the offered rate (nil: no rate line).
    public var requiredCapacity: Double? {
        guard case .offeredRate(let r)? = constraint else { return nil }
        guard let h = headroom, h > 0, h <= 1 else { return r }
        return r / h
    }

    /// The constraint a policy draws, from its description (`AdaptiveRuntime.Policy`'s
    /// words, as samples record them: "auto", "goal accuracy", "goal throughput
    /// (accuracy ≥ 98.5 %)", "goal slo-p99 20 ms", "table", "plan ha-100"): the replay
    /// has only these words. nil when the policy has no goal, or no rate to meet.
    public static func constraint(policy: String, offered: Double?) -> PlanConstraint? {
        if policy.hasPrefix("goal throughput") {
            // "… (accuracy ≥ 98.5 %)": the number before the last "%".
            guard let ge = policy.range(of: "≥") else { return nil }
            let digits = policy[ge.upperBound...].filter { $0.isNumber || $0 == "." }
            return Double(String(digits)).map { .minAccuracy($0 / 100) }
        }
        if policy == "auto" || policy.hasPrefix("goal accuracy") || policy.hasPrefix("goal slo-p99") {
            return offered.map { .offeredRate($0) }
        }
        return nil
    }
}
