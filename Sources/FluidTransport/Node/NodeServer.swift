import FluidCluster
import FluidModel
import Foundation
import Logging
import NIOCore
import NIOPosix

/// `fluid node`: one device of the cluster (issue 5 items 1, 3, 5).
///
/// Threads: one NIO event loop owns all node state (connections, failure detector, plan,
/// joint batches) — no locks, and the compiler checks it: the state is reached only
/// through `NIOLoopBound`s of that loop (`FluidNode` is the public handle). A second
/// one-thread event loop runs inference, FIFO, and owns the engines (`engines` is bound
/// to it); results hop back to the node's loop as values. Connections: the Master dials the Worker's listen address (and redials while
/// it is down); sources dial both nodes. Every connection starts with a `hello` each way;
/// a node refuses a peer with another kind, other weights or another wire version.
///
/// The leader — the Master while it is alive, else the Worker — computes the plan
/// (`Planner`) whenever membership or mode changes, deploys it to the peer and announces it
/// to sources. See NodeServer+Plan.swift, +Work.swift, +Joint.swift.
final class NodeServer {
    let config: NodeConfig
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let loop: EventLoop
    let model: ModelFile
    /// Only this role's rows (docs/model.md): a device never uses weights it does not hold.
    let weights: CNNWeights
    /// Inference: one thread, jobs in FIFO order, off the event loop, so heartbeats and
    /// frames keep flowing while a batch computes. A job queued after another on the same
    /// engine runs after it.
    let computeGroup: MultiThreadedEventLoopGroup
    let computeLoop: EventLoop
    /// Touched only on `computeLoop`.
    let engines: NIOLoopBoundBox<EnginePool>
    let incarnation: UInt64

    var connections: [Int: NodeConnection] = [:]
    var nextConnectionID = 0
    var peer: NodeConnection?
    var dialing = false
    /// The connection of the current dial attempt (Master).
    var dialConnectionID: Int?
    var lastSourceHeartbeat: UInt64 = 0
    var serverChannel: Channel?

    /// Membership, leadership and plans: the pure instance (NodeServer+Plan.swift carries
    /// out its directives).
    var instance: NodeInstance
    /// Own needs of the peer's activations after conv1 / conv2 under the installed plan.
    var myNeeds: [Bool] = [false, false]
    /// Bytes read from the peer at the last tick: any progress proves it alive, so a
    /// heartbeat queued behind a large frame on a slow link is not a death.
    var peerBytesSeen: UInt64 = 0
    /// Master ↔ Worker partition switch (SIGUSR1 cuts, SIGUSR2 heals): the peer link then
    /// drops every byte both ways without closing, as a partitioned network does.
    let peerCut = LinkCut()
    var signalSources: [DispatchSourceSignal] = []

    // Joint state (NodeServer+Joint.swift).
    var jointBatches: [UInt64: JointBatch] = [:]
    var jointQueue: [PendingWork] = []
    var freeSlots: [Int] = []
    var nextJointID: UInt64 = 1

    var imagesComputed: UInt64 = 0
    var peerBytesOut: UInt64 = 0
    var peerBytesIn: UInt64 = 0

    init(config: NodeConfig, logger: Logger) throws {
        tuneMallocForLargeFrames()
        self.config = config
        var logger = logger
        logger[metadataKey: "role"] = "\(config.role.rawValue)"
        self.logger = logger
        do {
            model = try ModelFile.load(path: config.weightsPath)
        } catch {
            throw NodeError.weights("cannot load weights: \(error)")
        }
        weights = model.weights.restricted(to: config.role)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        computeGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        computeLoop = computeGroup.next()
        engines = .makeBoxSendingValue(EnginePool(weights: weights, role: config.role, maxBatch: config.maxBatch),
                                       eventLoop: computeLoop)
        let w = weights, r = config.role
        instance = NodeInstance(role: config.role, kind: model.kind, settings: config.settings,
                                needs: { w.peerActivationNeeds(role: r, plan: $0) })
        incarnation = UInt64(Date().timeIntervalSince1970 * 1e9)
        freeSlots = Array((0..<config.jointSlots).reversed())
    }

    /// Reads of up to 1 MiB (NIO's default stops at 64 KiB): a joint activation frame is
    /// ~200 KB per batch of 32, and every extra read is a syscall plus an append to the
    /// frame decoder's buffer on the event loop, which competes with compute for the cores.
    static let recvAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 1 << 20)

    var role: Role { config.role }
    var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    var myHello: Hello {
        Hello(role: PeerRole(role), kind: model.kind, weightsSHA256: model.sha256,
              nodeID: "\(role.rawValue)@\(config.listenHost):\(config.listenPort)",
              incarnation: incarnation, planEpoch: instance.epoch, mode: instance.mode)
    }

    /// Binds, starts dialing (Master) and the timers; succeeds once listening. On the loop.
    func start() -> EventLoopFuture<Void> {
        let me = NIOLoopBound(self, eventLoop: loop)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.recvAllocator, value: NodeServer.recvAllocator)
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: config.limits.writeWaterMark)
            // The group has one loop, so every child channel lives on the node's loop.
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try me.value.setUp(channel: channel, dialed: false) }
            }
        let (host, port) = (config.listenHost, config.listenPort)
        return bootstrap.bind(host: host, port: port).flatMapErrorThrowing { error in
            if let e = error as? IOError, e.errnoCode == EADDRINUSE { throw NodeError.portInUse(host: host, port: port) }
            throw error
        }.map { channel in
            me.value.listening(on: channel)
        }
    }

    func listening(on channel: Channel) {
        serverChannel = channel
        logger.info("listening", metadata: ["address": "\(config.listenHost):\(config.listenPort)",
                                            "kind": "\(model.kind.rawValue)", "connectivity": "\(model.connectivity.rawValue)",
                                            "sha256": "\(model.sha256.prefix(12))"])
        if !raiseEventLoopThreadPriority() { logger.debug("event loop stays at normal priority (not permitted)") }
        carryOut(instance.start(now: now))
        dialPeerIfNeeded()
        installCutSignals()
        let me = NIOLoopBound(self, eventLoop: loop)
        loop.scheduleRepeatedTask(initialDelay: .zero, delay: .nanoseconds(Int64(config.settings.tickInterval.nanoseconds))) { _ in
            me.value.tick()
        }
    }

    func setUp(channel: Channel, dialed: Bool) throws {
        if !dialed, connections.count >= config.limits.maxConnections {
            logger.warning("closing connection: \(connections.count) connections open, the limit (ConnectionLimits.maxConnections)",
                           metadata: ["from": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
            channel.close(promise: nil)
            return
        }
        let c = try config.hooks.installLink(on: channel, kind: dialed ? .peer : .source, isInitiator: dialed,
                                             onMessage: { [weak self] m, c in self?.received(m, on: c) },
                                             onError: { [weak self] error, c, context in
                                                 if let c { self?.failed(c, error: error) } else { context.close(promise: nil) }
                                             },
                                             make: { counter in
                                                 NodeConnection(id: nextConnectionID, channel: channel, counter: counter,
                                                                dialed: dialed, openedAt: now)
                                             })
        nextConnectionID += 1
        connections[c.id] = c
        if dialed { dialConnectionID = c.id }
        // closeFuture also fires for a connect that failed, so no connection goes stale.
        channel.closeFuture.assumeIsolated().whenComplete { [weak self] _ in self?.closed(c) }
    }

    /// The Master keeps dialing the Worker while it has no peer. One attempt at a time:
    /// `dialing` is cleared only when the attempt's connection closes (its closeFuture
    /// fires for a failed connect too) or when no channel was ever made.
    func dialPeerIfNeeded() {
        guard role == .master, peer == nil, !dialing else { return }
        dialing = true
        dialConnectionID = nil
        let me = NIOLoopBound(self, eventLoop: loop)
        ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.recvAllocator, value: NodeServer.recvAllocator)
            .connectTimeout(.milliseconds(Int64(config.settings.handshakeTimeout.nanoseconds / 1_000_000)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try me.value.setUp(channel: channel, dialed: true)
                    try channel.pipeline.syncOperations.addHandler(LinkCutHandler(me.value.peerCut), position: .first)
                }
            }
            .connect(host: config.peerHost, port: config.peerPort)
            .whenComplete { result in
                let s = me.value
                switch result {
                case .success(let channel):
                    s.connections.values.first { $0.channel === channel }?.send(.hello(s.myHello))
                case .failure:
                    if s.dialConnectionID == nil { s.dialAgainLater() }
                }
            }
    }

    func dialAgainLater() {
        dialing = false
        dialConnectionID = nil
        loop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(config.settings.reconnectInterval.nanoseconds))) {
            self.dialPeerIfNeeded()
        }
    }

    // MARK: connection events (on the loop)

    func received(_ m: Message, on c: NodeConnection) {
        c.lastHeard = now
        carryOut(instance.noteTime(now))
        if c === peer { instance.peerHeard(now: now) }
        guard let h = c.hello else {
            guard case .hello(let theirs) = m else {
                return refuse(c, "expected hello first, got \(m.type)")
            }
            return handshake(theirs, on: c)
        }
        switch m {
        case .hello:
            refuse(c, "second hello on one connection")
        case .refuse(let reason):
            logger.warning("refused by \(c.name): \(reason)")
            close(c)
        case .heartbeat:
            break
        // Authorization by role (docs/security.md): with TLS `h.role` is the role the
        // peer's certificate proved (WireLinkHandler holds the hello to it).
        case .plan(let a):
            guard c === peer else { return refuse(c, "only the peer device may send a plan (\(h.role) sent one)") }
            carryOut(instance.receivedPlan(a, now: now))
        case .deployAck(let e, let needs):
            guard c === peer else { return refuse(c, "only the peer device may acknowledge a plan (\(h.role) sent one)") }
            carryOut(instance.receivedAck(epoch: e, needsPeerAfter: needs, now: now))
        case .setMode(let newMode):
            guard h.role == .source else { return refuse(c, "only a source may change the mode (\(h.role) sent one)") }
            carryOut(instance.setMode(newMode, now: now))
        case .request(let r):
            guard h.role == .source else { return refuse(c, "requests come from sources only") }
            // Over its budget (ConnectionLimits.maxImagesInFlight): an explicit reject the
            // source re-routes; reading that connection is paused until answers drain.
            guard c.admit(r.ids.count) else { return c.send(.reject(ids: r.ids), settles: false) }
            handleRequest(PendingWork(ids: r.ids, images: r.images, origin: c.id, standalone: r.standalone))
        case .answer, .reject:
            refuse(c, "\(m.type) is sent to sources, not nodes")
        case .jointImages(let b, let e, let n, let images):
            guard c === peer else { return refuse(c, "joint frames come from the peer only") }
            workerReceivedImages(batch: b, epoch: e, count: n, images: images)
        case .jointActivations(let b, let l, let v):
            guard c === peer else { return refuse(c, "joint frames come from the peer only") }
            receivedPeerActivations(batch: b, layer: l, values: v)
        case .jointPartial(let b, let v):
            guard c === peer, role == .master else { return refuse(c, "partial logits go from worker to master") }
            masterReceivedPartial(batch: b, values: v)
        }
    }

    func handshake(_ theirs: Hello, on c: NodeConnection) {
        let mine = myHello
        if let problem = mine.mismatch(with: theirs) {
            return refuse(c, problem)
        }
        if theirs.role != .source {
            // The Master dials, the Worker accepts: one peer link, no tie-break needed.
            guard theirs.role.role == role.peer else { return refuse(c, "unexpected peer role \(theirs.role)") }
            if let old = peer, old !== c {
                logger.warning("peer reconnected; dropping the old link", metadata: ["old": "\(old.name)"])
                peerLost(old, cause: "replaced by a new connection")
            }
        }
        c.hello = theirs
        if !c.dialed { c.send(.hello(mine)) }
        logger.info("handshake", metadata: ["with": "\(c.name)", "incarnation": "\(theirs.incarnation)"])
        // A source's epoch is ignored: only the two devices order plans (NodeInstance takes
        // the peer's from its hello); a source that claimed a huge epoch could otherwise
        // exhaust the numbering.
        if theirs.role == .source {
            c.inFlightLimit = config.limits.maxImagesInFlight
            let limit = config.limits.maxUnreadBytes
            c.onUnread = { [weak self, unowned c] in
                self?.logger.warning("closing connection: it does not read its answers (more than \(limit) bytes unread)",
                                     metadata: ["from": "\(c.name)"])
                self?.close(c)
            }
            if let a = current { c.send(.plan(a)) }
            return
        }
        peer = c
        peerBytesSeen = c.counter.bytesIn
        if !c.dialed {
            // Accepted connections learn they are the peer link only now.
            let pipeline = c.channel.pipeline.syncOperations
            do {
                if let shaper = config.hooks.linkShaper { try pipeline.addHandlers(shaper(), position: .after(c.counter)) }
                try pipeline.addHandler(LinkCutHandler(peerCut), position: .first)
            } catch {
                return refuse(c, "cannot set up the peer link: \(error)")
            }
        }
        carryOut(instance.peerConnected(theirs, now: now))
    }

    func refuse(_ c: NodeConnection, _ reason: String) {
        logger.warning("closing connection: \(reason)", metadata: ["from": "\(c.name)"])
        c.send(.refuse(reason))
        close(c)
    }

    func failed(_ c: NodeConnection, error: Error) {
        logger.warning("closing connection: \(error)", metadata: ["from": "\(c.name)"])
        close(c)
    }

    func close(_ c: NodeConnection) {
        guard !c.closing else { return }
        c.closing = true
        c.channel.close(promise: nil)
        closed(c)
    }

    func closed(_ c: NodeConnection) {
        carryOut(instance.noteTime(now))
        guard connections.removeValue(forKey: c.id) != nil else { return }
        c.closing = true
        if c === peer {
            peerLost(c, cause: "connection closed")
        } else if c.id == dialConnectionID {
            dialAgainLater()
        }
    }

    func peerLost(_ c: NodeConnection, cause: String) {
        guard c === peer else { return }
        peerBytesOut &+= c.counter.bytesOut
        peerBytesIn &+= c.counter.bytesIn
        peer = nil
        close(c)
        carryOut(instance.peerClosed(cause: cause, now: now))
        if c.id == dialConnectionID { dialAgainLater() }
    }

    // MARK: timers

    func tick() {
        let t = now
        if let p = peer, p.counter.bytesIn != peerBytesSeen {
            peerBytesSeen = p.counter.bytesIn
            instance.peerHeard(now: t)
        }
        carryOut(instance.tick(now: t))
        if t &- lastSourceHeartbeat >= config.settings.heartbeatInterval.nanoseconds {
            lastSourceHeartbeat = t
            let hb = Message.heartbeat(heartbeat(t))
            for c in connections.values where c.isSource { c.send(hb) }
        }
        let limit = config.settings.handshakeTimeout.nanoseconds
        for c in connections.values where c.hello == nil && t &- c.openedAt > limit {
            logger.info("closing connection: no handshake within \(limit / 1_000_000) ms", metadata: ["from": "\(c.name)"])
            close(c)
        }
        let idle = config.limits.idleTimeout.nanoseconds
        for c in connections.values where c.isSource && !c.readingPaused && t &- c.lastHeard > idle {
            logger.info("closing connection: silent for \(idle / 1_000_000) ms after its hello (ConnectionLimits.idleTimeout)",
                        metadata: ["from": "\(c.name)"])
            close(c)
        }
    }

    func heartbeat(_ t: UInt64) -> Heartbeat {
        Heartbeat(sentAtNanos: t, imagesComputed: imagesComputed,
                  peerBytesOut: peerBytesOut &+ (peer?.counter.bytesOut ?? 0),
                  peerBytesIn: peerBytesIn &+ (peer?.counter.bytesIn ?? 0))
    }

    var sources: [NodeConnection] { connections.values.filter(\.isSource) }
}
