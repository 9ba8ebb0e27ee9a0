import FluidCluster

/// The simulated `NodeServer`: decodes, calls the real `NodeInstance`, carries out its
/// directives the way NodeServer, +Plan, +Work and +Joint do (solo, joint batches,
/// standalone, reject), with compute modelled as one compute thread whose jobs take time.
final class SimNode: SimProcess {
    struct Work { var ids: [UInt64]; var origin: Int; var standalone: Bool }
    struct Batch { var id: UInt64; var epoch: UInt64; var subnet: Subnet; var work: Work?; var ownDone = false; var peer: Provenance? }
    enum Job {
        case solo(Work, Subnet, Plan, epoch: UInt64?)
        case jointOwn(batch: UInt64)
        case jointWorker(batch: UInt64, Provenance)
    }

    let role: Role
    var instance: NodeInstance
    var peerConn: Int?
    var dialing = false
    var dialConnID: Int?
    var lastSourceHeartbeat: UInt64 = 0
    var busyUntil: UInt64 = 0
    var jobs: [Int: Job] = [:]
    var nextJob = 0
    var jointBatches: [UInt64: Batch] = [:]
    var jointQueue: [Work] = []
    let jointSlots = 4
    var freeSlots = 4
    var nextJointID: UInt64 = 1
    var peerConnections = 0
    var installedEpoch: UInt64 = 0
    var crashedAt: UInt64 = 0
    var runningPlan: PlanAnnouncement?
    var previousPlan: PlanAnnouncement?

    /// Compute time of one batch (× `slow`).
    static let soloCost: UInt64 = 2 * simMs
    static let jointCost: UInt64 = 3 * simMs

    init(world: SimWorld, role: Role) {
        self.role = role
        instance = SimNode.makeInstance(role, world.schedule.kind, world.cluster)
        super.init(world: world, party: Party(role))
    }

    static func makeInstance(_ role: Role, _ kind: ModelKind, _ s: ClusterSettings) -> NodeInstance {
        NodeInstance(role: role, kind: kind, settings: s, needs: { $0.isJoint ? [true, true] : [false, false] })
    }

    var kind: ModelKind { world.schedule.kind }
    var sabotage: Sabotage { world.sabotage }

    /// A fresh process (revive).
    func reset() {
        instance = SimNode.makeInstance(role, kind, world.cluster)
        peerConn = nil; dialing = false; dialConnID = nil; lastSourceHeartbeat = 0
        busyUntil = 0; jobs = [:]; jointBatches = [:]; jointQueue = []; freeSlots = jointSlots
        peerConnections = 0; installedEpoch = 0
        runningPlan = nil; previousPlan = nil
    }

    var myHello: Hello {
        Hello(role: PeerRole(role), kind: kind, weightsSHA256: "", nodeID: role.rawValue,
              incarnation: UInt64(incarnation), planEpoch: instance.epoch, mode: instance.mode)
    }

    override func start() {
        carryOut(instance.start(now: now))
        dialPeerIfNeeded()
    }

    // MARK: connections

    func dialPeerIfNeeded() {
        guard role == .master, peerConn == nil, !dialing else { return }
        dialing = true
        dialConnID = nil
        _ = dial(.worker)
    }

    func dialAgainLater() {
        dialing = false
        dialConnID = nil
        world.schedule(timerIn: world.cluster.reconnectInterval.nanoseconds, for: self, .redial(.worker))
    }

    override func dialSucceeded(conn: Int, to: Party) {
        dialConnID = conn
        send(conn, .hello(myHello))
    }

    override func dialFailed(to: Party) { dialAgainLater() }

    override func timer(_ t: SimTimer) {
        switch t {
        case .redial: dialPeerIfNeeded()
        case .computeDone(let j): computeDone(j)
        case .connectTimeout: break
        }
    }

    override func bytesArrived(conn: Int) {
        if conn == peerConn { instance.peerHeard(now: now) }
    }

    override func handle(conn: Int, msg: SimMsg) {
        if world.trace { world.log(party, "← \(endpoints[conn]!.peer.name) #\(conn) \(msg)") }
        carryOut(instance.noteTime(now))
        if conn == peerConn { instance.peerHeard(now: now) }
        guard let h = endpoints[conn]?.hello else {
            guard case .hello(let theirs) = msg else { return close(conn) }
            return handshake(theirs, conn: conn)
        }
        switch msg {
        case .hello: close(conn)
        case .heartbeat: break
        case .plan(let a):
            guard h.role != .source else { return close(conn) }
            carryOut(instance.receivedPlan(a, now: now))
        case .ack(let e, let needs):
            guard h.role != .source else { return close(conn) }
            carryOut(instance.receivedAck(epoch: e, needsPeerAfter: needs, now: now))
        case .setMode(let m):
            guard h.role == .source else { return close(conn) }
            carryOut(instance.setMode(m, now: now))
        case .request(let ids, let standalone):
            guard h.role == .source else { return close(conn) }
            handleRequest(Work(ids: ids, origin: conn, standalone: standalone))
        case .jointImages(let b, let e, let n):
            guard conn == peerConn else { return close(conn) }
            workerReceivedImages(batch: b, epoch: e, count: n)
        case .jointPartial(let b, let p):
            guard conn == peerConn, role == .master else { return close(conn) }
            masterReceivedPartial(batch: b, provenance: p)
        default:
            close(conn)
        }
    }

    func handshake(_ theirs: Hello, conn: Int) {
        if theirs.role != .source {
            guard theirs.role.role == role.peer else { return close(conn) }
            if let old = peerConn, old != conn { peerLost(old, cause: "replaced by a new connection") }
        }
        endpoints[conn]?.hello = theirs
        if endpoints[conn]?.dialed == false { send(conn, .hello(myHello)) }
        if theirs.role == .source {
            if let a = instance.current { send(conn, .plan(outgoing(a))) }
            return
        }
        peerConn = conn
        peerConnections += 1
        // Sabotage: the Master's instance never learns that the Worker is back.
        if sabotage.contains(.noReplanAfterHeal), role == .master, peerConnections > 1 { return }
        carryOut(instance.peerConnected(theirs, now: now))
    }

    func close(_ c: Int) {
        guard endpoints[c] != nil else { return }
        closeLocally(c)
        closedBookkeeping(c)
    }

    override func closed(conn: Int) { closedBookkeeping(conn) }

    func closedBookkeeping(_ c: Int) {
        carryOut(instance.noteTime(now))
        if c == peerConn {
            peerLost(c, cause: "connection closed")
        } else if c == dialConnID {
            dialAgainLater()
        }
    }

    func peerLost(_ c: Int, cause: String) {
        guard c == peerConn else { return }
        peerConn = nil
        close(c)
        carryOut(instance.peerClosed(cause: cause, now: now))
        if c == dialConnID { dialAgainLater() }
    }

    override func tick() {
        carryOut(instance.tick(now: now))
        if now &- lastSourceHeartbeat >= world.cluster.heartbeatInterval.nanoseconds {
            lastSourceHeartbeat = now
            for (c, e) in endpoints where e.hello?.role == .source { send(c, .heartbeat) }
        }
        if endpoints.values.contains(where: { $0.hello == nil && now &- $0.openedAt > world.handshakeTimeout }) {
            for (c, e) in endpoints.sorted(by: { $0.key < $1.key }) where e.hello == nil && now &- e.openedAt > world.handshakeTimeout {
                close(c)
            }
        }
    }

    // MARK: directives

    /// Sabotage `tieEpochs`: the Worker's own plans go out with the Master's leader bit.
    func outgoing(_ a: PlanAnnouncement) -> PlanAnnouncement {
        guard sabotage.contains(.tieEpochs), a.leader == .worker else { return a }
        var b = a
        b.epoch |= 1
        return b
    }

    func carryOut(_ ds: [NodeInstance.Directive]) {
        for d in ds {
            if world.trace { world.log(party, "\(d)") }
            switch d {
            case .sendHeartbeat:
                if let p = peerConn { send(p, .heartbeat) }
            case .closePeer:
                if let p = peerConn {
                    peerConn = nil
                    close(p)
                    if p == dialConnID { dialAgainLater() }
                }
            case .install(let a):
                previousPlan = runningPlan
                runningPlan = a
                let out = outgoing(a)
                world.checker.installed(out, by: role, previous: installedEpoch)
                installedEpoch = out.epoch
                abandonJointWork()
            case .sendPlan(let a):
                if let p = peerConn { send(p, .plan(outgoing(a))) }
            case .sendAck(let e, let needs):
                if let p = peerConn { send(p, .ack(epoch: e, needs: needs)) }
            case .announce(let a):
                for (c, e) in endpoints.sorted(by: { $0.key < $1.key }) where e.hello?.role == .source { send(c, .plan(outgoing(a))) }
                resumeQueuedWork()
            case .peerDeployed:
                resumeQueuedWork()
            case .log:
                break
            }
        }
    }

    // MARK: work

    func handleRequest(_ w: Work) {
        if w.standalone { return runStandalone(w) }
        guard let a = instance.current else { return reject(w) }
        switch a.plan.job(for: role) {
        case .solo(let s):
            runSolo(w, subnet: s, plan: a.plan, epoch: a.epoch)
        case .joint:
            guard role == .master else { return reject(w) }
            jointQueue.append(w)
            pumpJoint()
        case .idle:
            if a.plan == .none, instance.isLeader {
                answer(w.origin, ids: w.ids, labels: [Int8](repeating: AnswerBatch.unavailable, count: w.ids.count), plan: .none, provenance: [])
            } else {
                reject(w)
            }
        }
    }

    func runStandalone(_ w: Work) {
        let alone = Planner.plan(kind: kind, alive: [role], mode: .ht)
        if case .solo(let s) = alone.job(for: role) {
            runSolo(w, subnet: s, plan: alone, epoch: nil)
        } else {
            answer(w.origin, ids: w.ids, labels: [Int8](repeating: AnswerBatch.unavailable, count: w.ids.count), plan: .none, provenance: [])
        }
    }

    func reject(_ w: Work) { send(w.origin, .reject(ids: w.ids)) }

    func answer(_ origin: Int, ids: [UInt64], labels: [Int8], plan: Plan, provenance: [Provenance]) {
        if sabotage.contains(.loseAnswers) || sabotage.contains(.ignoreDeadline), world.rng.chance(0.25) { return }
        send(origin, .answer(ids: ids, labels: labels, plan: plan, provenance: provenance))
        if sabotage.contains(.answerTwiceBypassLedger) {
            send(origin, .answer(ids: ids, labels: labels, plan: plan, provenance: provenance))
        }
    }

    /// One compute thread: jobs run one after another, `slow` times slower.
    func compute(_ job: Job, cost: UInt64) {
        let start = max(now, busyUntil)
        busyUntil = start + cost * slow
        nextJob += 1
        jobs[nextJob] = job
        world.schedule(timerIn: busyUntil - now, for: self, .computeDone(job: nextJob))
    }

    func runSolo(_ w: Work, subnet: Subnet, plan: Plan, epoch: UInt64?) {
        compute(.solo(w, subnet, plan, epoch: epoch), cost: SimNode.soloCost)
    }

    func computeDone(_ j: Int) {
        guard let job = jobs.removeValue(forKey: j) else { return }
        switch job {
        case .solo(let w, let s, let plan, let epoch):
            answer(w.origin, ids: w.ids, labels: [Int8](repeating: 7, count: w.ids.count), plan: plan,
                   provenance: [Provenance(role: role, subnet: s, epoch: epoch)])
        case .jointOwn(let id):
            guard jointBatches[id] != nil else { return } // abandoned meanwhile
            jointBatches[id]!.ownDone = true
            tryCombine(id)
        case .jointWorker(let id, let p):
            guard jointBatches.removeValue(forKey: id) != nil else { return }
            if let c = peerConn { send(c, .jointPartial(batch: id, provenance: p)) }
        }
    }

    /// Master: starts queued batches while slots are free and the Worker deployed the plan.
    func pumpJoint() {
        guard role == .master, let a = instance.current, case .joint(let s) = a.plan.job(for: role),
              instance.peerDeployedCurrent, let p = peerConn else { return }
        while !jointQueue.isEmpty, freeSlots > 0 {
            let w = jointQueue.removeFirst()
            freeSlots -= 1
            let b = Batch(id: nextJointID, epoch: a.epoch, subnet: s, work: w)
            nextJointID += 1
            jointBatches[b.id] = b
            send(p, .jointImages(batch: b.id, epoch: a.epoch, count: w.ids.count))
            compute(.jointOwn(batch: b.id), cost: SimNode.jointCost)
        }
    }

    /// Worker: computes its share only under the batch's plan (same epoch, joint job).
    func workerReceivedImages(batch id: UInt64, epoch e: UInt64, count: Int) {
        guard role == .worker, let a = instance.current else { return }
        guard a.epoch == e, case .joint(let s) = a.plan.job(for: role) else { return }
        var engine = Provenance(role: role, subnet: s, epoch: a.epoch)
        if sabotage.contains(.workerStaleEngine), let p = previousPlan, let ps = p.plan.job(for: role).subnet {
            engine = Provenance(role: role, subnet: ps, epoch: p.epoch)
        }
        jointBatches[id] = Batch(id: id, epoch: a.epoch, subnet: s, work: nil)
        compute(.jointWorker(batch: id, engine), cost: SimNode.jointCost)
    }

    func masterReceivedPartial(batch id: UInt64, provenance: Provenance) {
        guard jointBatches[id] != nil else { return }
        jointBatches[id]!.peer = provenance
        tryCombine(id)
    }

    func tryCombine(_ id: UInt64) {
        guard let b = jointBatches[id], b.ownDone, let theirs = b.peer, let w = b.work else { return }
        answer(w.origin, ids: w.ids, labels: [Int8](repeating: 7, count: w.ids.count), plan: instance.current?.plan ?? .ha100,
               provenance: [Provenance(role: role, subnet: b.subnet, epoch: b.epoch), theirs])
        jointBatches.removeValue(forKey: id)
        freeSlots += 1
        pumpJoint()
    }

    /// A plan install: joint batches in flight cannot finish; the Master runs their requests
    /// again under the new plan (resumeQueuedWork after the announce), the Worker forgets.
    func abandonJointWork() {
        let batches = jointBatches.values.sorted { $0.id < $1.id }
        jointBatches = [:]
        freeSlots = jointSlots
        guard role == .master else { return }
        jointQueue = batches.compactMap(\.work) + jointQueue
    }

    func resumeQueuedWork() {
        guard let a = instance.current else { return }
        if case .joint = a.plan.job(for: role) { pumpJoint(); return }
        let queued = jointQueue
        jointQueue = []
        for w in queued { handleRequest(w) }
    }
}
