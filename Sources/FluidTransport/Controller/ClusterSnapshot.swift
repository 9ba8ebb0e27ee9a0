import FluidCluster
import FluidModel

/// What a dashboard draws: the cluster as the source sees it, cheap to copy.
public struct ClusterSnapshot: Sendable {
    /// Seconds since `start()`.
    public var t: Double
    public var kind: ModelKind
    /// What the user asked for, and the mode the cluster runs (differs in auto).
    public var modeSetting: ModeSetting
    public var runningMode: Mode
    /// SHA-256 (hex) of the weight file the nodes loaded, as their hellos announced it
    /// (both must match); nil until a node of the current kind has shaken hands.
    public var weightsSHA256: String?
    /// The weight file of `kind` the nodes are started with.
    public var weightsPath: String
    /// The leader's latest plan (`.none` before the first one).
    public var plan: Plan
    public var planEpoch: UInt64
    public var leader: Role?
    public var rate: Double?
    /// `plan` as far as it is served now: `.none` when a device it needs is not up.
    public var servedPlan: Plan
    /// Full, degraded or outage (against the plan both devices allow).
    public var health: Health
    /// `leader` while it is up, else nil.
    public var liveLeader: Role?
    public var master: DeviceSample
    public var worker: DeviceSample
    /// The last per-second sample (nil during the first second).
    public var lastSample: Sample?
    /// Throughput of the last samples, oldest first (up to 120).
    public var throughputHistory: [Double]
    public var sent: Int
    public var answered: Int
    public var predicted: Int
    public var unavailable: Int
    public var correct: Int
    public var outstanding: Int
    /// Most recent events, oldest first (up to 50).
    public var recentEvents: [SessionEvent]
    public var failovers: [Failover]
    public var recoveries: [Recovery]
    /// True while the nodes restart on another weight file.
    public var restarting: Bool
    /// The Master ↔ Worker link is cut (`cut:master-worker` until `heal`).
    public var linkCut = false
    /// Devices the source reaches that run a plan they issued themselves: the Master of a
    /// joined cluster, or each device alone in a Master ↔ Worker partition (both lead).
    public var selfLed: Set<Role> = []
    /// Issue 14: the adaptive runtime's policy and wish, the cost model, and the slowdowns
    /// injected (`slow:`; what was *measured* is each device's `slowFactor`).
    public var adaptive: AdaptiveInfo?
    public var model: CostModel?
    public var injectedSlow: [Role: Double] = [:]

    public func device(_ r: Role) -> DeviceSample { r == .master ? master : worker }
}
