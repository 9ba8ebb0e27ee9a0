import FluidCluster
import FluidModel

/// Leadership and plan deployment.
///
/// The leader is the Master while it is alive (it holds the images of joint plans), else
/// the Worker. Only the leader plans; a plan carries an epoch larger than any the leader
/// has seen (hellos carry the sender's epoch), so receivers order announcements by epoch
/// and a revived Master's plan supersedes the Worker's.
extension NodeServer {
    var isLeader: Bool { role == .master || peer == nil }

    var alive: Set<Role> { peer == nil ? [role] : [.master, .worker] }

    /// Leader: plan again from membership and mode; deploys if the plan changed.
    /// `force` re-announces an unchanged plan with a new epoch (a peer that just joined
    /// must receive it; a mode change updates the announced mode and reason).
    func replan(reason: String, force: Bool = false) {
        guard isLeader else { return }
        let p = Planner.plan(kind: model.kind, alive: alive, mode: mode)
        if !force, let c = current, c.plan == p, c.leader == role { return }
        epoch += 1
        let a = PlanAnnouncement(epoch: epoch, plan: p, leader: role, mode: mode,
                                 needsPeerAfter: needs(for: p), reason: "\(reason) → \(Planner.reason(kind: model.kind, alive: alive, mode: mode))")
        logger.info("plan \(p.rawValue)", metadata: ["epoch": "\(epoch)", "reason": "\(a.reason)"])
        install(a)
        peerDeployed = !p.isJoint
        peer?.send(.plan(a))
        for s in sources { s.send(.plan(a)) }
        resumeQueuedWork()
    }

    /// Whether this node needs the peer's activations after conv1 / conv2 under plan `p`
    /// (derived from the rows it holds: triangular Master → [false, false]).
    func needs(for p: Plan) -> [Bool] {
        guard case .joint(let s) = p.job(for: role) else { return [false, false] }
        let probe = JointEngine(weights: weights, role: role, subnet: s, maxBatch: 1)
        return [probe.needsPeerActivations(after: 1), probe.needsPeerActivations(after: 2)]
    }

    /// Makes `a` the current plan; joint work of an older plan is abandoned (the Master
    /// re-runs its batches under the new plan; the Worker forgets them).
    func install(_ a: PlanAnnouncement) {
        let old = current
        current = a
        mode = a.mode
        myNeeds = needs(for: a.plan)
        if old?.plan.isJoint == true || !jointBatches.isEmpty { abandonJointWork() }
        if a.leader != role { peerNeeds = a.needsPeerAfter }
    }

    /// Follower (Worker while the Master lives): deploy the leader's plan and acknowledge it.
    func followerReceivedPlan(_ a: PlanAnnouncement) {
        guard a.leader != role else { return }
        guard a.epoch > (current?.epoch ?? 0) || current?.leader == role else { return }
        epoch = max(epoch, a.epoch)
        logger.info("deploying plan \(a.plan.rawValue) from \(a.leader.rawValue)", metadata: ["epoch": "\(a.epoch)"])
        install(a)
        peer?.send(.deployAck(epoch: a.epoch, needsPeerAfter: myNeeds))
        // Relay it: sources follow the newest plan among live nodes (see ClusterController.refreshPlan).
        for s in sources { s.send(.plan(a)) }
        resumeQueuedWork()
    }

    /// Leader: the follower deployed plan `e`; joint batches may start.
    func leaderReceivedAck(epoch e: UInt64, needs: [Bool]) {
        guard let a = current, a.epoch == e, a.leader == role else { return }
        peerNeeds = needs
        peerDeployed = true
        logger.info("peer deployed plan \(a.plan.rawValue)", metadata: ["epoch": "\(e)", "peer needs": "\(needs)", "own needs": "\(myNeeds)"])
        resumeQueuedWork()
    }

    func peerUp() {
        if role == .master {
            replan(reason: "worker up", force: true)
        } else {
            // The Master leads again. Work already queued finishes under the old plan; new
            // requests are rejected (the source routes them again) until its plan arrives.
            logger.info("master up: following its plan")
            if current?.leader == role { current = nil }
        }
    }

    func peerDown() {
        replan(reason: "\(role.peer.rawValue) down")
    }
}
