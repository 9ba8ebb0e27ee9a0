/// Timing of liveness and recovery, with units (SWIM's Settings style).
public struct ClusterSettings: Sendable, Equatable {
    /// How often every connection carries a heartbeat. Short enough that four missed ones
    /// still fit in the 200 ms detection aim; long enough to cost nothing (a 40-byte frame).
    public var heartbeatInterval: Duration = .milliseconds(50)
    /// Silence after which a device is declared dead (docs/cluster.md invariant 1: < 500 ms, aim
    /// 200 ms). A SIGSTOPped process keeps its socket open, so this is what catches a hang.
    public var deadTimeout: Duration = .milliseconds(200)
    /// How often the detector checks; detection takes at most deadTimeout + tickInterval.
    public var tickInterval: Duration = .milliseconds(10)
    /// Delay between attempts to (re)connect to a peer that is down. Bounds how quickly a
    /// revived device is found (docs/cluster.md invariant 3: re-deploy within 1 s).
    public var reconnectInterval: Duration = .milliseconds(50)
    /// A connection that has not completed its handshake by then is dropped (a SIGSTOPped
    /// process still accepts TCP connections in the kernel but never answers).
    public var handshakeTimeout: Duration = .milliseconds(400)

    public init() {}
}

extension Duration {
    /// Whole nanoseconds.
    public var nanoseconds: UInt64 {
        let (s, a) = components
        return UInt64(max(0, s)) * 1_000_000_000 + UInt64(max(0, a / 1_000_000_000))
    }
}
