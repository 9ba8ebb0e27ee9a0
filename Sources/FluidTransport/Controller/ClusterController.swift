import FluidCluster
import FluidModel
import Foundation
import Logging
import NIOCore
import NIOPosix

/// Runs a two-device cluster on this machine and drives it: spawns the two `fluid node`
/// processes, streams the test set to them, answers every request exactly once, injects
/// faults with real signals, and measures (issue 5 items 4–6). Used by `fluid run
/// --headless`, `fluid demo` (dashboard) and `fluid bench`.
///
/// Threads: all state lives on one NIO event loop (the source). Public methods may be
/// called from any thread; they hop onto that loop. `onEvent` / `onSample` are called on
/// the loop — return quickly, do not call `stop()` from them.
///
/// ```swift
/// let c = try ClusterController(config: cfg)
/// c.onSample = { print($0.json.serialized()) }
/// try c.start()              // nodes up, full plan deployed
/// c.inject(Fault(.kill, .master))
/// let summary = c.stop()     // drains: summary.lost == 0
/// ```
public final class ClusterController: @unchecked Sendable {
    public private(set) var config: ClusterConfig
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let loop: EventLoop
    var processes: [Role: NodeProcess] = [:]
    var ports: (master: Int, worker: Int) = (0, 0)

    /// Called on the controller's loop for every event / every per-second sample.
    public var onEvent: ((SessionEvent) -> Void)?
    public var onSample: ((Sample) -> Void)?

    // Source state (on the loop).
    var links: [Role: SourceLink] = [:]
    var dialing: Set<Role> = []
    /// Reachability, plans followed, routing, the exactly-once ledger and deadlines: the
    /// pure instance; this shell carries out its directives.
    var source: SourceInstance
    var deathCause: [Role: FailureDetector<Role>.Cause] = [:]
    /// Partition switches of the source's links (`cut:source-master`, `cut:source-worker`).
    let sourceCuts: [Role: LinkCut] = [.master: LinkCut(), .worker: LinkCut()]
    /// Whether the Master ↔ Worker link is cut (a revived node is cut again).
    var peerLinkCut = false
    /// When the Master ↔ Worker link was cut, until the smaller plan it causes is served
    /// (the source reaches both devices, so no device goes down: the failover is the plan).
    var peerCutAt: UInt64?
    /// SHA-256 of the weight file each node loaded, from its hello (cleared on a kind switch).
    var nodeWeights: [Role: String] = [:]
    var modeSetting: ModeSetting
    var runningMode: Mode
    var auto = AutoMode()
    var rate: Double?
    var generatedAtRate: Double = 0
    var lastGenerate: UInt64 = 0
    var generating = false
    var restarting = false
    var correct = 0
    var window = SampleWindow()
    var faults = FaultClock()
    var failovers: [Failover] = []
    var recoveries: [Recovery] = []
    var events: [SessionEvent] = []
    var samples: [Sample] = []
    var lastComputed: [Role: UInt64] = [:]
    var lastSourceBytes: (out: UInt64, in: UInt64) = (0, 0)
    var closedLinkBytes: (out: UInt64, in: UInt64) = (0, 0)
    var startNanos: UInt64 = 0
    var startCPU: Double = 0
    var tasks: [RepeatedTask] = []
    var stopped = false
    /// Conditions someone waits for (`until`): checked on the loop after every tick, so
    /// waiting is event-driven, not a poll from another thread.
    var waiters: [(check: () -> Bool, promise: EventLoopPromise<Void>)] = []

    public init(config: ClusterConfig) throws {
        tuneMallocForLargeFrames()
        self.config = config
        logger = config.logger
        modeSetting = config.mode
        runningMode = config.mode == .ht ? .ht : .ha
        rate = config.rate
        var s = SourceInstance.Settings()
        s.deadline = config.requestDeadline
        s.batchSize = config.batchSize
        s.windowBatches = config.windowBatches
        source = SourceInstance(kind: config.kind, settings: s, cluster: config.settings)
        source.wantedMode = runningMode
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        let path = config.weightsPath(for: config.kind)
        guard FileManager.default.fileExists(atPath: path) else { throw ClusterError.weightsMissing(path) }
    }

    var now: UInt64 { DispatchTime.now().uptimeNanoseconds }
    var t: Double { Double(now &- startNanos) / 1e9 }

    /// Runs `body` on the controller's loop and waits for it. After `stop()` the loop is
    /// gone and nothing else touches the state, so `body` then runs on the caller's thread
    /// (a dashboard may still ask for a snapshot).
    func onLoop<T>(_ body: @escaping () -> T) -> T {
        if loop.inEventLoop { return body() }
        do { return try loop.submit(body).wait() } catch { return body() }
    }

    // MARK: waiting

    /// A future that succeeds once `condition` (evaluated on the loop) holds, or fails with
    /// `ClusterError.startTimeout(describe())` after `timeout` seconds.
    func until(_ condition: @escaping () -> Bool, timeout: Double, describe: @escaping () -> String) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        loop.execute {
            if condition() { return promise.succeed(()) }
            self.waiters.append((condition, promise))
            self.loop.scheduleTask(in: .nanoseconds(Int64(max(0, timeout) * 1e9))) {
                guard let i = self.waiters.firstIndex(where: { $0.promise.futureResult === promise.futureResult }) else { return }
                self.waiters.remove(at: i)
                promise.fail(ClusterError.startTimeout(describe()))
            }
        }
        return promise.futureResult
    }

    /// Resolves the waiters whose condition now holds (called on the loop every tick).
    func checkWaiters() {
        guard !waiters.isEmpty else { return }
        var still: [(check: () -> Bool, promise: EventLoopPromise<Void>)] = []
        for w in waiters { if w.check() { w.promise.succeed(()) } else { still.append(w) } }
        waiters = still
    }

    /// Waits (without blocking a thread) until `plan` is served, or throws after `timeout` s.
    public func plan(reaching plan: Plan, timeout: Double = 5) async throws {
        try await until({ self.source.served == plan }, timeout: timeout,
                        describe: { "no \(plan.rawValue) within \(timeout) s (serving \(self.source.served.rawValue))" }).get()
    }

    /// `start(timeout:)` for async callers.
    public func start(timeout: Double = 15) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            DispatchQueue.global().async { c.resume(with: Result { try self.start(timeout: timeout) }) }
        }
    }

    /// `stop(drainTimeout:)` for async callers.
    public func stop(drainTimeout: Double = 10) async -> SessionSummary {
        await withCheckedContinuation { (c: CheckedContinuation<SessionSummary, Never>) in
            DispatchQueue.global().async { c.resume(returning: self.stop(drainTimeout: drainTimeout)) }
        }
    }

    // MARK: lifecycle

    /// Spawns both nodes and returns once the full plan for the kind and mode is deployed
    /// (or throws after `timeout` seconds). Traffic starts then.
    public func start(timeout: Double = 15) throws {
        if let p = config.ports { ports = p } else {
            let free = freePorts(host: config.host, count: 2)
            guard free.count == 2 else { throw ClusterError.spawn("no free ports on \(config.host)") }
            ports = (free[0], free[1])
        }
        startNanos = now
        startCPU = processCPUSeconds()
        try spawnNodes()
        onLoop {
            raiseEventLoopThreadPriority()
            self.tasks.append(self.loop.scheduleRepeatedTask(initialDelay: .zero,
                                                             delay: .nanoseconds(Int64(self.config.settings.tickInterval.nanoseconds))) { _ in self.tick() })
            for r in Role.allCases { self.dial(r) }
        }
        try waitForFullPlan(timeout: timeout)
        onLoop {
            self.startNanos = self.now
            self.startCPU = processCPUSeconds()
            self.lastGenerate = self.now
            self.generating = true
            self.tasks.append(self.loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in self.emitSample() })
            self.pump()
        }
    }

    func spawnNodes() throws {
        guard !config.attached else { return }
        let weights = config.weightsPath(for: config.kind)
        guard FileManager.default.fileExists(atPath: weights) else { throw ClusterError.weightsMissing(weights) }
        let addr = (master: "\(config.host):\(ports.master)", worker: "\(config.host):\(ports.worker)")
        for r in Role.allCases {
            let args = ["node", "--role", r.rawValue,
                        "--listen", r == .master ? addr.master : addr.worker,
                        "--peer", r == .master ? addr.worker : addr.master,
                        "--weights", weights] + config.link.nodeArguments
                + (config.tlsDirectory.map { ["--tls", $0] } ?? [])
            let p = NodeProcess(role: r, executable: config.executable, arguments: args, output: config.nodeOutput)
            try p.spawn()
            onLoop { self.processes[r] = p }
        }
    }

    /// The plan both devices should run for the current kind and mode.
    var fullPlan: Plan { Planner.plan(kind: config.kind, alive: [.master, .worker], mode: runningMode) }

    /// Both devices reachable and both running the Master's full plan for the kind and mode;
    /// fails at once when a node process exits during start-up.
    func waitForFullPlan(timeout: Double) throws {
        var exitedNode: Role?
        let ready = until({
            for r in Role.allCases where self.processes[r].map({ !$0.isRunning }) ?? !self.config.attached {
                exitedNode = r
                return true
            }
            return self.source.isReachable(.master) && self.source.isReachable(.worker)
                && self.source.governing(.master)?.plan == self.fullPlan
                && self.source.governing(.worker)?.plan == self.fullPlan
                && self.source.governing(.master)?.leader == .master
        }, timeout: timeout, describe: {
            "no \(self.fullPlan.rawValue) plan within \(timeout) s (plan \(self.source.served.rawValue), "
                + "reachable \(self.source.reachable.map(\.rawValue).sorted()))"
        })
        try ready.wait()
        if let r = onLoop({ exitedNode }) {
            throw ClusterError.startTimeout("the \(r.rawValue) node exited at start (see its log; run `fluid node` by hand to see why)")
        }
    }

    /// Stops generating, waits until every request is answered (at most `drainTimeout` s),
    /// stops the nodes and returns the summary.
    @discardableResult
    public func stop(drainTimeout: Double = 10) -> SessionSummary {
        let end = onLoop { () -> Double in self.generating = false; return self.t }
        // Drained when nothing is outstanding; the deadline answers what no device will.
        try? until({ self.tracker.outstanding == 0 }, timeout: drainTimeout, describe: { "drain" }).wait()
        let summary = onLoop { () -> SessionSummary in
            self.stopped = true
            for task in self.tasks { task.cancel() }
            for l in self.links.values { l.closing = true; l.channel.close(promise: nil) }
            return self.summary(duration: end)
        }
        for p in processes.values { p.stop() }
        try? group.syncShutdownGracefully()
        return summary
    }

    // MARK: controls

    /// Injects a fault now (real signals; `revive` starts the process again).
    public func inject(_ fault: Fault) {
        if fault.action == .revive, fault.link == nil, let p = onLoop({ self.processes[fault.device] }) {
            // Killing the old process and starting a new one blocks: done on the caller's
            // thread, never on the event loop (heartbeats must keep their timing).
            if p.isRunning { p.signal(SIGKILL); _ = p.waitExit(timeout: 2) }
            var failure: Error?
            do { try p.spawn() } catch { failure = error }
            onLoop {
                if let failure { self.emit(.message("revive \(fault.device.rawValue) failed: \(failure)")) }
                self.faults.awaitingRecovery[fault.device] = .init(action: .revive, at: self.now)
                self.emit(.fault(fault))
            }
            return
        }
        onLoop {
            let at = self.now
            if let link = fault.link {
                self.injectLink(fault.action == .cut, link: link, at: at)
                self.emit(.fault(fault))
                return
            }
            guard let p = self.processes[fault.device] else { return }
            switch fault.action {
            case .kill:
                p.signal(SIGKILL)
                self.faults.lastFault[fault.device] = .init(action: .kill, at: at)
            case .hang:
                p.signal(SIGSTOP)
                self.faults.lastFault[fault.device] = .init(action: .hang, at: at)
            case .resume:
                p.signal(SIGCONT)
                self.faults.awaitingRecovery[fault.device] = .init(action: .resume, at: at)
            case .revive, .cut, .heal, .slow, .unslow:
                break
            }
            self.emit(.fault(fault))
        }
    }

    /// Cuts or heals a link for real: the source's own links in this process (a handler that
    /// drops every byte both ways), the Master ↔ Worker link inside both nodes (SIGUSR1 cuts,
    /// SIGUSR2 heals, like SIGSTOP a signal from outside the process).
    func injectLink(_ cut: Bool, link: Fault.Link, at: UInt64) {
        switch link {
        case .sourceMaster: sourceCuts[.master]!.isCut = cut
        case .sourceWorker: sourceCuts[.worker]!.isCut = cut
        case .masterWorker:
            peerLinkCut = cut
            for p in processes.values { _ = p.signal(cut ? SIGUSR1 : SIGUSR2) }
        }
        if cut, link == .masterWorker {
            peerCutAt = at
        } else if cut {
            faults.lastFault[link.device] = .init(action: .cut, at: at)
        } else {
            faults.awaitingRecovery[link.device] = .init(action: .heal, at: at)
        }
    }

    /// HA, HT, or auto (the controller picks for the offered rate).
    public func setMode(_ m: ModeSetting) {
        onLoop {
            self.modeSetting = m
            let running: Mode = m == .auto ? self.runningMode : (m == .ha ? .ha : .ht)
            self.apply(mode: running, reason: m == .auto ? "auto mode on" : "set by user")
        }
    }

    /// Restarts both nodes on `kind`'s weight file. Requests wait meanwhile (none is lost).
    public func setKind(_ kind: ModelKind) throws {
        let path = config.weightsPath(for: kind)
        guard FileManager.default.fileExists(atPath: path) else { throw ClusterError.weightsMissing(path) }
        // Recorded with the switch, so a session log says which file every part ran on.
        let sha = (try? ModelFile.load(path: path).sha256) ?? ""
        onLoop { self.restarting = true }
        for p in processes.values { p.stop(grace: 0.5) }
        onLoop {
            self.config.kind = kind
            self.source.reset(kind: kind)
            self.nodeWeights.removeAll()
            self.emit(.kind(kind, weightsSHA256: sha))
        }
        try spawnNodes()
        defer { onLoop { self.restarting = false; self.pump() } }
        try waitForFullPlan(timeout: 15)
    }

    /// Offered rate in images/s; nil = as fast as the cluster takes.
    public func setRate(_ r: Double?) {
        onLoop {
            self.rate = r.map { max(1, $0) }
            self.generatedAtRate = 0
            self.lastGenerate = self.now
        }
    }

    public var kind: ModelKind { onLoop { self.config.kind } }
}

/// CPU seconds (user + system) used by this process so far.
func processCPUSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
}
