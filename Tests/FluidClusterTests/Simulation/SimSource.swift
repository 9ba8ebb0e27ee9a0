import FluidCluster

/// The simulated `ClusterController` (Links, Dispatch): dials both nodes, ticks every
/// 10 ms, submits a few requests per tick, and carries out the real `SourceInstance`'s
/// directives. Every final answer goes to the checker.
final class SimSource: SimProcess {
    var source: SourceInstance
    var links: [Role: Int] = [:]
    var dialing: Set<Role> = []
    var generating = true
    /// Requests submitted every `everyTicks` ticks (a few per batch keeps the event count,
    /// and so the simulation's cost, down).
    let perTick = 2
    let everyTicks = 2
    var ticks = 0

    init(world: SimWorld, deadline: UInt64) {
        var s = SourceInstance.Settings()
        s.deadline = .nanoseconds(Int64(deadline))
        s.batchSize = 4
        s.windowBatches = 4
        source = SourceInstance(kind: world.schedule.kind, settings: s, cluster: world.cluster)
        source.wantedMode = world.schedule.mode
        source.wantedPlan = world.schedule.wanted
        super.init(world: world, party: .source)
    }

    var checker: SimChecker { world.checker }

    override func start() {
        for r in Role.allCases { dialNode(r) }
    }

    func dialNode(_ r: Role) {
        guard links[r] == nil, !dialing.contains(r) else { return }
        dialing.insert(r)
        _ = dial(Party(r))
    }

    func redialLater(_ r: Role) {
        world.schedule(timerIn: world.cluster.reconnectInterval.nanoseconds, for: self, .redial(Party(r)))
    }

    override func dialSucceeded(conn: Int, to: Party) {
        let r = to.role!
        dialing.remove(r)
        links[r] = conn
        send(conn, .hello(Hello(role: .source, kind: world.schedule.kind, weightsSHA256: "", nodeID: "source",
                                incarnation: 1, planEpoch: 0, mode: world.schedule.mode)))
    }

    override func dialFailed(to: Party) {
        dialing.remove(to.role!)
        redialLater(to.role!)
    }

    override func timer(_ t: SimTimer) {
        if case .redial(let p) = t { dialNode(p.role!) }
    }

    override func bytesArrived(conn: Int) {
        guard let r = endpoints[conn]?.peer.role, links[r] == conn, endpoints[conn]?.hello != nil else { return }
        source.heard(r, now: now)
    }

    override func handle(conn: Int, msg: SimMsg) {
        if world.trace, !isBulk(msg) { world.log(party, "← \(endpoints[conn]!.peer.name) #\(conn) \(msg)") }
        guard let r = endpoints[conn]?.peer.role, links[r] == conn else { return }
        guard endpoints[conn]?.hello != nil else {
            guard case .hello(let h) = msg, h.role.role == r else { return dropLink(conn) }
            endpoints[conn]?.hello = h
            wasHandshaken.insert(conn)
            checker.sourceConnected(r)
            carryOut(source.connected(r, now: now))
            send(conn, .setMode(ModeRequest(mode: world.schedule.mode, plan: world.schedule.wanted)))
            return
        }
        source.heard(r, now: now)
        switch msg {
        case .heartbeat:
            break
        case .plan(let a):
            carryOut(source.plan(a, from: r, now: now))
            checker.relayed(source.relayed[r], by: r)
        case .answer(let ids, let labels, let plan, let prov):
            if world.sabotage.contains(.answerTwiceBypassLedger) {
                for (id, l) in zip(ids, labels) { checker.final(id, label: l, plan: plan, provenance: prov, from: r) }
            } else {
                for a in source.answers(ids: ids, labels: labels, from: r, now: now) {
                    checker.final(a.id, label: a.label, plan: plan, provenance: prov, from: r)
                }
            }
        case .reject(let ids):
            source.rejected(ids, from: r, now: now)
        default:
            return dropLink(conn)
        }
        pump()
    }

    func dropLink(_ conn: Int) {
        closeLocally(conn)
        linkClosed(conn)
    }

    override func closed(conn: Int) { linkClosed(conn) }

    func linkClosed(_ conn: Int) {
        guard let r = links.first(where: { $0.value == conn })?.key else { return }
        links[r] = nil
        if wasHandshaken.contains(conn) { carryOut(source.closed(r, now: now)) }
        wasHandshaken.remove(conn)
        redialLater(r)
    }

    /// Links whose handshake completed (the endpoint is gone by the time its close is handled).
    var wasHandshaken: Set<Int> = []

    override func tick() {
        carryOut(source.tick(now: now))
        for r in Role.allCases {
            if let c = links[r], let e = endpoints[c], e.hello == nil, now &- e.openedAt > world.handshakeTimeout {
                closeLocally(c)
                links[r] = nil
                redialLater(r)
            }
        }
        ticks += 1
        if generating, ticks % everyTicks == 0 {
            for _ in 0..<perTick { checker.submitted(source.submit(now: now)) }
        }
        pump()
    }

    /// `pump` does nothing without pending requests (it routes and answers only those), and
    /// routing is the simulation's hottest path.
    func pump() {
        guard source.ledger.pendingCount > 0 else { return }
        carryOut(source.pump(now: now))
    }

    func isBulk(_ m: SimMsg) -> Bool {
        switch m {
        case .answer, .heartbeat: return true
        default: return false
        }
    }

    func carryOut(_ ds: [SourceInstance.Directive]) {
        for d in ds {
            if world.trace {
                switch d {
                case .sendHeartbeat, .send, .answeredUnavailable: break
                default: world.log(party, "\(d)")
                }
            }
            switch d {
            case .sendHeartbeat(let r):
                if let c = links[r] { send(c, .heartbeat) }
            case .send(let r, let ids, let standalone):
                if let c = links[r] { send(c, .request(ids: ids, standalone: standalone)) }
            case .markDown(let r, _, _):
                // Declared dead with its socket open (hung, cut): drop the socket and redial.
                if let c = links[r] {
                    wasHandshaken.remove(c)
                    closeLocally(c)
                    links[r] = nil
                    redialLater(r)
                }
            case .answeredUnavailable(let ids, _):
                if world.sabotage.contains(.loseAnswers) { break }
                for id in ids { checker.final(id, label: AnswerBatch.unavailable, plan: .none, provenance: [], from: nil) }
            case .sendMode(let r, let m):
                if let c = links[r] { send(c, .setMode(m)) }
            case .served:
                break
            case .log:
                break
            }
        }
    }
}
