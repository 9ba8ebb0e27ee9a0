/// Heartbeat failure detector for a set of peers (instance; the NIO shell carries out the
/// directives). Time is passed in, in nanoseconds from any fixed origin, so tests drive it
/// with a fake clock.
///
/// A peer is watched from `watch` (a completed handshake) until it is declared dead, by
/// `onTick` (silence ≥ deadTimeout) or by `onConnectionClosed`. It is declared dead once;
/// watching it again (a new handshake) starts afresh.
///
/// Local pauses. A process that was itself stopped (SIGSTOP, a long stall of its machine)
/// sees every peer silent for the length of its own pause. Like memberlist's Lifeguard or
/// Cassandra's local-pause check, the detector notices that its own ticks came late (a gap
/// longer than `pauseThreshold`) and gives every peer a fresh timeout instead of blaming it
/// for the gap. Shells call `noteTime` before handling any event, so a late tick is noticed
/// even when a buffered frame or a close is handled before the overdue timer.
public struct FailureDetector<Peer: Hashable> {
    public enum Cause: String, Sendable {
        /// No heartbeat within the timeout: a hang, or a network that stopped delivering.
        case heartbeatTimeout = "heartbeat-timeout"
        /// The TCP connection closed or reset: the process died (or closed it).
        case connectionClosed = "connection-closed"
    }

    public enum Directive: Equatable {
        /// This process was paused for `gapNanos` (its ticks stopped): peers were given a
        /// fresh timeout instead of being declared dead.
        case selfPaused(gapNanos: UInt64)
        /// Send a heartbeat to `peer` now.
        case sendHeartbeat(Peer)
        /// `peer` is dead: close its connection and re-plan. `silentNanos` = time since its
        /// last heartbeat.
        case markDead(Peer, cause: Cause, silentNanos: UInt64)
    }

    struct Watch { var lastHeard: UInt64; var lastSent: UInt64? }

    public let settings: ClusterSettings
    var watched: [Peer: Watch] = [:]
    var lastTick: UInt64?
    /// End of the grace after a local pause (nanoseconds); see `inPauseGrace`.
    public private(set) var graceUntil: UInt64 = 0

    /// A tick later than this (or any event after such a gap) means this process was paused.
    public var pauseThreshold: UInt64 { settings.deadTimeout.nanoseconds / 2 }

    public init(settings: ClusterSettings = ClusterSettings()) { self.settings = settings }

    /// Peers currently considered alive.
    public var alive: Set<Peer> { Set(watched.keys) }

    public func isAlive(_ p: Peer) -> Bool { watched[p] != nil }

    /// Nanoseconds since `peer` was last heard, nil if not watched.
    public func silence(of peer: Peer, now: UInt64) -> UInt64? {
        watched[peer].map { now &- $0.lastHeard }
    }

    /// Start watching `peer` (its handshake completed at `now`).
    public mutating func watch(_ peer: Peer, now: UInt64) {
        watched[peer] = Watch(lastHeard: now, lastSent: nil)
    }

    /// Any frame from a peer proves it alive, not only heartbeats: a peer busy sending a
    /// large activation frame is not silent.
    public mutating func onHeard(from peer: Peer, now: UInt64) {
        if watched[peer] != nil { watched[peer]!.lastHeard = max(watched[peer]!.lastHeard, now) }
    }

    /// The connection to `peer` closed: dead now (if it was alive).
    public mutating func onConnectionClosed(_ peer: Peer, now: UInt64) -> Directive? {
        guard let w = watched.removeValue(forKey: peer) else { return nil }
        return .markDead(peer, cause: .connectionClosed, silentNanos: now &- w.lastHeard)
    }

    /// Stop watching without declaring death (an orderly close we asked for).
    public mutating func forget(_ peer: Peer) { watched.removeValue(forKey: peer) }

    /// Whether `now` follows a local pause by less than one dead timeout: a peer whose
    /// connection closed meanwhile may only have dropped us for our own silence.
    public func inPauseGrace(now: UInt64) -> Bool { now < graceUntil }

    /// Checks for a local pause before an event is handled. Returns `.selfPaused` once per pause.
    public mutating func noteTime(_ now: UInt64) -> Directive? {
        defer { lastTick = max(lastTick ?? now, now) }
        guard let last = lastTick, now > last, now - last > pauseThreshold else { return nil }
        for k in watched.keys { watched[k]!.lastHeard = max(watched[k]!.lastHeard, now) }
        graceUntil = now + settings.deadTimeout.nanoseconds
        return .selfPaused(gapNanos: now - last)
    }

    /// Periodic check: heartbeats due, and peers silent for too long.
    public mutating func onTick(now: UInt64) -> [Directive] {
        var out: [Directive] = []
        if let d = noteTime(now) { out.append(d) }
        let interval = settings.heartbeatInterval.nanoseconds
        let timeout = settings.deadTimeout.nanoseconds
        for (peer, w) in watched {
            let silent = now &- w.lastHeard
            if now >= w.lastHeard, silent >= timeout {
                watched.removeValue(forKey: peer)
                out.append(.markDead(peer, cause: .heartbeatTimeout, silentNanos: silent))
            } else if w.lastSent.map({ now &- $0 >= interval }) ?? true {
                watched[peer]!.lastSent = now
                out.append(.sendHeartbeat(peer))
            }
        }
        return out
    }
}
