import FluidCluster
import FluidModel
import NIOCore
import NIOPosix

/// Connections to the two nodes and handshakes (on the loop); the source instance decides
/// who is reachable.
///
/// A device is *reachable* from a completed handshake until it is declared dead: by its
/// connection closing (a killed process) or by `deadTimeout` without a byte (a hung
/// process keeps its socket open; so does a cut link). The source keeps redialing a device
/// that is down; a hung process still accepts in the kernel, so a connection without a
/// handshake reply is dropped after `handshakeTimeout` and dialed again.
extension SourceShell {
    func dial(_ role: Role) {
        guard !stopped, links[role] == nil, !dialing.contains(role) else { return }
        dialing.insert(role)
        let port = role == .master ? ports.master : ports.worker
        let me = NIOLoopBound(self, eventLoop: loop)
        ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.milliseconds(Int64(config.settings.handshakeTimeout.nanoseconds / 1_000_000)))
            // The group has one loop: the channel lives on the source's loop.
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try me.value.setUp(channel: channel, role: role) }
            }
            .connect(host: config.nodeHosts[role] ?? config.host, port: port)
            .whenComplete { result in
                let s = me.value
                s.dialing.remove(role)
                switch result {
                case .success:
                    s.links[role]?.openedAt = s.now
                    s.links[role]?.send(.hello(Hello(role: .source, kind: s.config.kind, weightsSHA256: "", nodeID: "source",
                                                     incarnation: s.startNanos, planEpoch: 0, mode: s.runningMode)))
                case .failure:
                    s.redialLater(role)
                }
            }
    }

    func setUp(channel: Channel, role: Role) throws {
        let l = try config.hooks.installLink(on: channel, kind: .source, isInitiator: true,
                                             onMessage: { [weak self] m, l in self?.received(m, on: l) },
                                             onError: { [weak self] error, l, context in
                                                 if let l { self?.linkClosed(l, reason: "\(error)") }
                                                 context.close(promise: nil)
                                             },
                                             make: { SourceLink(role: role, channel: channel, counter: $0, openedAt: now) })
        links[role] = l
        // closeFuture also fires for a connect that failed, so a link never goes stale.
        channel.closeFuture.assumeIsolated().whenComplete { [weak self] _ in self?.linkClosed(l, reason: "connection closed") }
        try channel.pipeline.syncOperations.addHandler(LinkCutHandler(sourceCuts[role]!), position: .first)
    }

    func redialLater(_ role: Role) {
        guard !stopped else { return }
        loop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(config.settings.reconnectInterval.nanoseconds))) { self.dial(role) }
    }

    func received(_ m: Message, on l: SourceLink) {
        guard links[l.role] === l, !l.closing else { return }
        let n = now
        guard l.hello != nil else {
            guard case .hello(let h) = m, h.role.role == l.role, h.kind == config.kind else {
                return dropLink(l, reason: "bad handshake from \(l.role.rawValue): \(m.type)")
            }
            l.hello = h
            l.bytesSeen = l.counter.bytesIn
            nodeWeights[l.role] = h.weightsSHA256
            deathCause[l.role] = nil
            carryOut(source.connected(l.role, now: n))
            deviceUp(l.role)
            return
        }
        source.heard(l.role, now: n)
        switch m {
        case .heartbeat(let hb):
            l.lastHeartbeat = hb
        case .plan(let a):
            carryOut(source.plan(a, from: l.role, now: n))
        case .answer(let a):
            received(answer: a, from: l.role)
        case .reject(let ids):
            source.rejected(ids, from: l.role, now: n)
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
        if l.hello != nil { carryOut(source.closed(l.role, now: now)) }
        redialLater(l.role)
    }

    /// Tick: liveness from bytes, heartbeats, deaths, deadlines, handshake timeouts, generation.
    func tick() {
        let n = now
        for l in links.values where l.hello != nil && l.counter.bytesIn != l.bytesSeen {
            // Any byte proves the node alive (a heartbeat may wait behind a large frame).
            l.bytesSeen = l.counter.bytesIn
            source.heard(l.role, now: n)
        }
        carryOut(source.tick(now: n))
        for l in links.values where l.hello == nil && n &- l.openedAt > config.settings.handshakeTimeout.nanoseconds {
            // Normal for a hung node (the kernel accepts, the process does not answer) and
            // for a cut link.
            logger.debug("link to \(l.role.rawValue): no handshake within \(config.settings.handshakeTimeout)")
            l.closing = true
            l.channel.close(promise: nil)
            linkClosed(l, reason: "no handshake")
        }
        adaptiveTick()
        generate()
        pump()
        checkWaiters()
        publish()
    }

    /// The plan served changed (the source instance's view).
    func servedChanged(_ p: Plan, reason: String, epoch: UInt64?) {
        if let at = peerCutAt, p != fullPlan {
            peerCutAt = nil
            failovers.append(Failover(device: .worker, cause: "cut:master-worker", detectMs: Double(now &- at) / 1e6, resumeMs: nil))
            faults.awaitingResume.append((failovers.count - 1, at))
        }
        let recovered = completeRecoveries()
        emit(.plan(p, reason: reason, epoch: epoch, leader: servedLeader, sinceFaultMs: recovered))
    }

    /// The leader of the plan served: the one leader whose plans the serving devices run,
    /// if the source reaches it; nil when nothing is served, when two leaders' plans are
    /// combined (a Master ↔ Worker partition), or when the leader is unreachable.
    var servedLeader: Role? {
        guard source.served != .none else { return nil }
        let leaders = Set(source.routes().keys.compactMap { source.governing($0)?.leader })
        guard leaders.count == 1, let l = leaders.first, source.isReachable(l) else { return nil }
        return l
    }

    /// A revived or resumed device (or a healed link) counts as recovered once the full plan
    /// for the kind and mode is served again. Returns the redeploy time of the last one completed.
    @discardableResult
    func completeRecoveries() -> Double? {
        guard source.served == fullPlan, source.isReachable(.master) || fullPlan == .none else { return nil }
        var since: Double?
        for (r, open) in faults.awaitingRecovery where source.isReachable(r) {
            since = Double(now &- open.at) / 1e6
            recoveries.append(Recovery(device: r, action: open.action.rawValue, redeployMs: since!, plan: source.served))
            faults.awaitingRecovery[r] = nil
        }
        return since
    }

    func deviceUp(_ r: Role) {
        if peerLinkCut {
            // The partition outlives a process: a revived node is cut too. It answered the
            // source's handshake, so it listens and its signal handlers are in place.
            _ = processes[r]?.signal(SIGUSR1)
        }
        var since: Double?
        if let open = faults.awaitingRecovery[r] { since = Double(now &- open.at) / 1e6 }
        emit(.deviceUp(r, sinceFaultMs: since))
        links[r]?.send(.setMode(runningMode))
        completeRecoveries()
    }

    func deviceDown(_ r: Role, cause: FailureDetector<Role>.Cause) {
        deathCause[r] = cause
        if let l = links[r] {
            // Declared dead while its socket is open (a hung process, a cut link): drop the
            // socket so a late answer cannot arrive on it, and dial again.
            l.closing = true
            l.channel.close(promise: nil)
            links[r] = nil
            closedLinkBytes.out &+= l.counter.bytesOut
            closedLinkBytes.in &+= l.counter.bytesIn
            redialLater(r)
        }
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
        emit(.deviceDown(r, cause: label, detectedBy: cause.rawValue, detectMs: detectMs))
    }
}
