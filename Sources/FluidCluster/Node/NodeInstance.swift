import FluidModel

/// One device's membership, leadership and plan state, as a pure instance (the
/// swift-cluster-membership SWIM.Instance style): events go in with the time, directives
/// come out, and the NIO shell (`NodeServer`) carries them out. The network simulator in
/// the tests drives the same instance.
///
/// Rules (docs/cluster.md):
/// - The leader is the Master while it has its peer, else whichever device is alone. Only
///   the leader plans (`Planner`), whenever membership or mode changes.
/// - A plan carries an epoch from `Epoch.next`: above every epoch this node has seen
///   (hellos and plans carry them) and tagged with the leader, so plans never tie; its term
///   is at least the clock's millisecond, so a restarted process (which forgot the epochs
///   it issued) does not issue them again for other plans.
/// - A follower deploys a plan only if its epoch is above the one it runs, acknowledges it
///   to the leader and relays it to its sources.
/// - The leader re-sends its plan every heartbeat interval until the follower acknowledges
///   it, and a follower acknowledges again a plan it already runs: a link that drops frames
///   without closing (a cut shorter than the dead timeout) loses neither.
/// - The peer is dead when its connection closes or it is silent for `deadTimeout`; any
///   byte from it counts as life (a heartbeat may wait behind a large frame on a slow link).
/// - After a local pause this node does not blame the peer for the gap: the peer gets a
///   fresh timeout, and a peer link that closed during the pause is re-dialled before the
///   peer is declared down (if it is back within `deadTimeout`, no smaller plan is issued).
public struct NodeInstance {
    public enum Directive: Equatable, Sendable {
        /// Send a heartbeat to the peer.
        case sendHeartbeat
        /// Close the peer connection (it was declared dead).
        case closePeer(reason: String)
        /// Make `plan` the plan this node runs (the shell prepares engines, abandons joint
        /// work of the previous one and serves queued requests).
        case install(PlanAnnouncement)
        /// Send to the peer.
        case sendPlan(PlanAnnouncement)
        case sendAck(epoch: UInt64, needsPeerAfter: [Bool])
        /// Tell every connected source the plan this node now runs.
        case announce(PlanAnnouncement)
        /// The peer acknowledged the current joint plan: joint batches may start.
        case peerDeployed
        /// For the log.
        case log(String)
    }

    public let role: Role
    public let kind: ModelKind
    public var settings: ClusterSettings
    /// Whether this node needs the peer's activations after conv1 / conv2 under a plan
    /// (a pure query on the rows it holds).
    let needs: @Sendable (Plan) -> [Bool]

    public private(set) var epoch: UInt64 = 0
    public private(set) var current: PlanAnnouncement?
    public private(set) var mode: Mode = .ha
    /// The plan a source wants (issue 14), planned while its devices are alive.
    public private(set) var wanted: Plan?
    /// A source set the mode; until then a revived Master adopts the Worker's.
    var modeFromSource = false
    /// The peer's handshake completed and it was not declared dead since.
    public private(set) var peerUp = false
    /// The peer link closed during a local-pause grace: the peer is not declared down until
    /// the grace ends without it reconnecting.
    var peerSuspect = false
    /// Leader of a joint plan: the follower acknowledged it.
    public private(set) var peerDeployedCurrent = false
    /// What the peer needs of this node's activations under `current`.
    public private(set) var peerNeeds: [Bool] = [false, false]
    /// Leader: the epoch the peer last acknowledged, and when `current` was last sent to it.
    /// A plan is re-sent every heartbeat interval until acknowledged: a link that drops
    /// frames without closing (a cut shorter than the dead timeout) must not leave the
    /// follower on its old plan and the joint plan waiting for an ack forever.
    public private(set) var peerAckedEpoch: UInt64 = 0
    var planSentAt: UInt64 = 0
    var detector: FailureDetector<Role>

    public init(role: Role, kind: ModelKind, settings: ClusterSettings = ClusterSettings(),
                needs: @escaping @Sendable (Plan) -> [Bool]) {
        self.role = role; self.kind = kind; self.settings = settings; self.needs = needs
        detector = FailureDetector(settings: settings)
    }

    public var isLeader: Bool { role == .master || !peerUp }
    public var alive: Set<Role> { peerUp ? [.master, .worker] : [role] }
    /// Own needs under the current plan.
    public var myNeeds: [Bool] { current.map { needs($0.plan) } ?? [false, false] }

    // MARK: events

    /// The node started.
    public mutating func start(now: UInt64) -> [Directive] {
        _ = detector.noteTime(now)
        return replan(reason: "\(role.rawValue) started", now: now)
    }

    /// Before any event: a late clock means this node was paused.
    public mutating func noteTime(_ now: UInt64) -> [Directive] {
        guard case .selfPaused(let gap)? = detector.noteTime(now) else { return [] }
        return [.log("this node was paused for \(gap / 1_000_000) ms: the peer gets a fresh timeout")]
    }

    /// The peer's hello arrived (the handshake completed).
    public mutating func peerConnected(_ hello: Hello, now: UInt64) -> [Directive] {
        var out = noteTime(now)
        epoch = max(epoch, min(hello.planEpoch, Epoch.limit))
        if !modeFromSource { mode = hello.mode }
        peerUp = true
        peerSuspect = false
        detector.watch(role.peer, now: now)
        if role == .master {
            out += replan(reason: "worker up", now: now, force: true)
        } else if current?.leader == role {
            // The Master leads again; until its plan arrives this node keeps serving its own
            // (a request that no longer fits is rejected and routed again by the source).
            out.append(.log("master up: following its plan"))
        }
        return out
    }

    /// Any bytes from the peer.
    public mutating func peerHeard(now: UInt64) {
        detector.onHeard(from: role.peer, now: now)
    }

    /// The peer connection closed (or failed).
    public mutating func peerClosed(cause: String, now: UInt64) -> [Directive] {
        var out = noteTime(now)
        guard peerUp else { return out }
        detector.forget(role.peer)
        peerUp = false
        if detector.inPauseGrace(now: now) {
            // Our own pause may have made the peer drop us: re-dial and wait a fresh
            // timeout before planning without it.
            peerSuspect = true
            out.append(.log("peer link closed (\(cause)) right after this node's own pause: re-dialling before declaring it down"))
            return out
        }
        out.append(.log("peer down: \(cause)"))
        out += replan(reason: "\(role.peer.rawValue) down", now: now)
        return out
    }

    /// Periodic: heartbeats, silence, the end of a pause grace.
    public mutating func tick(now: UInt64) -> [Directive] {
        var out: [Directive] = []
        for d in detector.onTick(now: now) {
            switch d {
            case .selfPaused(let gap):
                out.append(.log("this node was paused for \(gap / 1_000_000) ms: the peer gets a fresh timeout"))
            case .sendHeartbeat:
                out.append(.sendHeartbeat)
            case .markDead(_, let cause, let silent):
                peerUp = false
                let reason = "\(cause.rawValue) after \(silent / 1_000_000) ms"
                out.append(.closePeer(reason: reason))
                out.append(.log("peer down: \(reason)"))
                out += replan(reason: "\(role.peer.rawValue) down", now: now)
            }
        }
        if isLeader, peerUp, let a = current, a.leader == role, peerAckedEpoch != a.epoch,
           now &- planSentAt >= settings.heartbeatInterval.nanoseconds {
            planSentAt = now
            out.append(.sendPlan(a))
        }
        if peerSuspect, !peerUp, !detector.inPauseGrace(now: now) {
            peerSuspect = false
            out.append(.log("peer down: it did not come back within \(settings.deadTimeout) of this node's pause"))
            out += replan(reason: "\(role.peer.rawValue) down", now: now)
        }
        return out
    }

    /// A source set the mode.
    public mutating func setMode(_ m: Mode, now: UInt64) -> [Directive] {
        setMode(ModeRequest(mode: m), now: now)
    }

    /// A source set the mode and the plan it wants (nil: the failure table alone).
    public mutating func setMode(_ r: ModeRequest, now: UInt64) -> [Directive] {
        var out = noteTime(now)
        modeFromSource = true
        guard r.mode != mode || r.plan != wanted else { return out }
        mode = r.mode
        wanted = r.plan
        out += replan(reason: "mode \(r)", now: now, force: true)
        return out
    }

    /// The peer (as leader) sent a plan.
    public mutating func receivedPlan(_ a: PlanAnnouncement, now: UInt64) -> [Directive] {
        var out = noteTime(now)
        guard a.leader != role, a.epoch <= Epoch.limit | 1 else { return out }
        if let c = current, c.epoch == a.epoch, c.leader == a.leader {
            // The leader re-sent the plan this node runs: its acknowledgement was lost.
            out.append(.sendAck(epoch: a.epoch, needsPeerAfter: needs(a.plan)))
            return out
        }
        guard a.epoch > (current?.epoch ?? 0) else {
            out.append(.log("ignoring plan \(a.plan.rawValue) of epoch \(a.epoch): already at \(current?.epoch ?? 0)"))
            return out
        }
        epoch = max(epoch, a.epoch)
        current = a
        mode = a.mode
        wanted = a.wanted
        peerNeeds = a.needsPeerAfter
        out.append(.log("deploying plan \(a.plan.rawValue) from \(a.leader.rawValue), epoch \(a.epoch)"))
        out.append(.install(a))
        out.append(.sendAck(epoch: a.epoch, needsPeerAfter: needs(a.plan)))
        out.append(.announce(a))
        return out
    }

    /// The follower acknowledged plan `e`.
    public mutating func receivedAck(epoch e: UInt64, needsPeerAfter: [Bool], now: UInt64) -> [Directive] {
        var out = noteTime(now)
        guard let a = current, a.epoch == e, a.leader == role else { return out }
        let first = peerAckedEpoch != e
        peerAckedEpoch = e
        guard first else { return out }
        peerNeeds = needsPeerAfter
        peerDeployedCurrent = true
        out.append(.log("peer deployed plan \(a.plan.rawValue), epoch \(e)"))
        out.append(.peerDeployed)
        return out
    }

    // MARK: planning

    /// Leader: plan again from membership and mode. `force` re-announces an unchanged plan
    /// with a new epoch (a peer that just joined must receive it).
    mutating func replan(reason: String, now: UInt64, force: Bool = false) -> [Directive] {
        guard isLeader else { return [] }
        let p = Planner.plan(kind: kind, alive: alive, mode: mode, wanted: wanted)
        if !force, let c = current, c.plan == p, c.leader == role { return [] }
        // A term is at least this clock's millisecond: a restarted process has forgotten
        // the epochs it issued, and without the floor it issued the same small epochs
        // again for other plans (invariant c; SimulationRegressionTests). It holds for a
        // restart on the same clock that takes longer than this node's terms ran ahead of it.
        let floor = min(now / 1_000_000, Epoch.limit >> 1) << 1
        epoch = Epoch.next(after: max(epoch, floor), leader: role)
        let a = PlanAnnouncement(epoch: epoch, plan: p, leader: role, mode: mode,
                                 needsPeerAfter: needs(p),
                                 reason: "\(reason) → \(Planner.reason(kind: kind, alive: alive, mode: mode, wanted: wanted))",
                                 wanted: wanted)
        current = a
        peerDeployedCurrent = !p.isJoint
        var out: [Directive] = [.log("plan \(p.rawValue), epoch \(epoch): \(a.reason)"), .install(a)]
        if peerUp { out.append(.sendPlan(a)); planSentAt = now }
        out.append(.announce(a))
        return out
    }
}
