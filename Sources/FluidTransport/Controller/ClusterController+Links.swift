import FluidCluster
import FluidModel
import NIOCore
import NIOPosix

/// Connections to the two nodes, handshakes and failure detection (on the loop).
///
/// A device is *up* from a completed handshake until it is declared dead: by its
/// connection closing (a killed process) or by `deadTimeout` without a frame (a hung
/// process keeps its socket open). The source keeps redialing a device that is down; a
/// hung process still accepts in the kernel, so a connection without a handshake reply
/// is dropped after `handshakeTimeout` and dialed again.
extension ClusterController {
    func dial(_ role: Role) {
        guard !stopped, links[role] == nil, !dialing.contains(role) else { return }
        dialing.insert(role)
        let port = role == .master ? ports.master : ports.worker
        ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.milliseconds(Int64(config.settings.handshakeTimeout.nanoseconds / 1_000_000)))
            .channelInitializer { channel in
                self.config.hooks.installLink(on: channel, kind: .source, isInitiator: true,
                                              onMessage: { [weak self] m, l in self?.received(m, on: l) },
                                              onError: { [weak self] error, l, context in
                                                  if let l { self?.linkClosed(l, reason: "\(error)") }
                                                  context.close(promise: nil)
                                              },
                                              make: { SourceLink(role: role, channel: channel, counter: $0, openedAt: self.now) }).map { l in
                    self.links[role] = l
                    // closeFuture also fires for a connect that failed, so a link never goes stale.
                    channel.closeFuture.whenComplete { _ in self.linkClosed(l, reason: "connection closed") }
                }
            }
            .connect(host: config.nodeHosts[role] ?? config.host, port: port)
            .whenComplete { result in
                self.dialing.remove(role)
                switch result {
                case .success:
                    self.links[role]?.openedAt = self.now
                    self.links[role]?.send(.hello(Hello(role: .source, kind: self.config.kind, weightsSHA256: "", nodeID: "source",
                                                        incarnation: self.startNanos, planEpoch: self.announced?.epoch ?? 0,
                                                        mode: self.runningMode)))
                case .failure:
                    self.redialLater(role)
                }
            }
    }

    func redialLater(_ role: Role) {
        guard !stopped else { return }
        loop.scheduleTask(in: .nanoseconds(Int64(config.settings.reconnectInterval.nanoseconds))) { self.dial(role) }
    }

    func received(_ m: Message, on l: SourceLink) {
        guard links[l.role] === l, !l.closing else { return }
        detector.onHeard(from: l.role, now: now)
        guard let hello = l.hello else {
            guard case .hello(let h) = m, h.role.role == l.role, h.kind == config.kind else {
                return dropLink(l, reason: "bad handshake from \(l.role.rawValue): \(m.type)")
            }
            l.hello = h
            nodePlans[l.role] = nil
            nodeWeights[l.role] = h.weightsSHA256
            detector.watch(l.role, now: now)
            deviceUp(l.role)
            return
        }
        _ = hello
        switch m {
        case .heartbeat(let hb):
            l.lastHeartbeat = hb
        case .plan(let a):
            acceptPlan(a, from: l.role)
        case .answer(let a):
            received(answer: a, from: l.role)
        case .reject(let ids):
            tracker.onReject(ids, from: l.role)
            // Do not bounce straight back: wait for the next plan or 20 ms.
            paused[l.role] = now &+ 20_000_000
        case .refuse(let reason):
            emit(.message("\(l.role.rawValue) refused the source: \(reason)"))
            dropLink(l, reason: "refused: \(reason)")
        default:
            dropLink(l, reason: "unexpected \(m.type) from \(l.role.rawValue)")
        }
        pump()
    }

    func dropLink(_ l: SourceLink, reason: String) {
        logger.warning("closing link to \(l.role.rawValue): \(reason)")
        l.closing = true
        l.channel.close(promise: nil)
        linkClosed(l, reason: reason)
    }

    func linkClosed(_ l: SourceLink, reason: String) {
        guard links[l.role] === l else { return }
        links[l.role] = nil
        closedLinkBytes.out &+= l.counter.bytesOut
        closedLinkBytes.in &+= l.counter.bytesIn
        l.closing = true
        if let d = detector.onConnectionClosed(l.role, now: now) { carryOut(d) }
        redialLater(l.role)
    }

    /// Detector tick: heartbeats, deaths, handshake timeouts, generation.
    func tick() {
        let n = now
        for d in detector.onTick(now: n) { carryOut(d) }
        for l in links.values where l.hello == nil && n &- l.openedAt > config.settings.handshakeTimeout.nanoseconds {
            // Normal for a hung node (the kernel accepts, the process does not answer).
            logger.debug("link to \(l.role.rawValue): no handshake within \(config.settings.handshakeTimeout)")
            l.closing = true
            l.channel.close(promise: nil)
            linkClosed(l, reason: "no handshake")
        }
        generate()
        pump()
    }

    func carryOut(_ d: FailureDetector<Role>.Directive) {
        switch d {
        case .sendHeartbeat(let r):
            links[r]?.send(.heartbeat(Heartbeat(sentAtNanos: now)))
        case .markDead(let r, let cause, _):
            deathCause[r] = cause
            if let l = links[r], cause == .heartbeatTimeout {
                // A hung process: drop its socket so a late answer cannot arrive on it.
                l.closing = true
                l.channel.close(promise: nil)
                links[r] = nil
                closedLinkBytes.out &+= l.counter.bytesOut
                closedLinkBytes.in &+= l.counter.bytesIn
                redialLater(r)
            }
            deviceDown(r, cause: cause)
        }
    }

    /// Each node relays the plan it runs (its own as leader, the leader's as follower).
    /// The source follows the newest plan (epoch; ties: the Master's) among those relayed
    /// by live nodes whose leader is live too. So a dead leader's plan is void at once —
    /// requests wait until the survivor announces its own — and a stale plan from a node
    /// that has not yet heard of a failure is never preferred to a fresher one.
    func acceptPlan(_ a: PlanAnnouncement, from node: Role) {
        nodePlans[node] = a
        refreshPlan()
    }

    func refreshPlan() {
        let candidates = nodePlans.filter { detector.isAlive($0.key) && detector.isAlive($0.value.leader) }.map(\.value)
        let best = candidates.max { x, y in (x.epoch, x.leader == .master ? 1 : 0) < (y.epoch, y.leader == .master ? 1 : 0) }
        guard let a = best else { return }
        let previous = announced
        if let p = previous, p.epoch == a.epoch, p.leader == a.leader, p.plan == a.plan { return }
        announced = a
        paused.removeAll()
        if previous?.plan != a.plan || previous?.leader != a.leader {
            let recovered = completeRecoveries()
            emit(.plan(a.plan, reason: a.reason, epoch: a.epoch, leader: a.leader, sinceFaultMs: recovered))
        }
    }

    /// A revived or resumed device counts as recovered once it is up at the source and the
    /// full plan for the kind and mode is deployed by the Master (either may come first).
    /// Returns the redeploy time of the last one completed.
    @discardableResult
    func completeRecoveries() -> Double? {
        guard let a = announced, a.plan == fullPlan, a.leader == .master || fullPlan == .none else { return nil }
        var since: Double?
        for (r, open) in faults.awaitingRecovery where detector.isAlive(r) {
            since = Double(now &- open.at) / 1e6
            recoveries.append(Recovery(device: r, action: open.action.rawValue, redeployMs: since!, plan: a.plan))
            faults.awaitingRecovery[r] = nil
        }
        return since
    }

    func deviceUp(_ r: Role) {
        paused[r] = nil
        var since: Double?
        if let open = faults.awaitingRecovery[r] { since = Double(now &- open.at) / 1e6 }
        emit(.deviceUp(r, sinceFaultMs: since))
        links[r]?.send(.setMode(runningMode))
        refreshPlan()
        completeRecoveries()
    }

    func deviceDown(_ r: Role, cause: FailureDetector<Role>.Cause) {
        let moved = tracker.onDeviceDown(r)
        var detectMs: Double?
        var label = restarting ? "restart" : cause.rawValue
        if var open = faults.lastFault[r], !open.consumed {
            detectMs = Double(now &- open.at) / 1e6
            label = open.action.rawValue
            open.consumed = true
            faults.lastFault[r] = open
            failovers.append(Failover(device: r, cause: label, detectMs: detectMs, resumeMs: nil))
            faults.awaitingResume.append((failovers.count - 1, open.at))
        }
        nodePlans[r] = nil
        emit(.deviceDown(r, cause: label, detectedBy: cause.rawValue, detectMs: detectMs))
        refreshPlan()
        if !moved.isEmpty { logger.info("re-dispatching \(moved.count) requests of \(r.rawValue)") }
    }
}
