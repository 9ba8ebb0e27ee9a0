import FluidCluster
import FluidModel
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Runs a two-device cluster on this machine and drives it: spawns the two `fluid node`
/// processes, streams the test set to them, answers every request exactly once, injects
/// faults with real signals, and measures. Used by `fluid run --headless`, `fluid demo`
/// (dashboard) and `fluid bench`.
///
/// A handle any thread or task may hold. The source's state lives on one NIO event loop
/// (`SourceShell`, reached only through a `NIOLoopBoundBox`); controls are posted to it and
/// return at once; what takes time is `async`. Readers never hop: the loop publishes the
/// cluster's picture (`snapshot()`, `summaryNow()`, `eventsSoFar()`) under a lock every
/// 100 ms and after every event and control.
///
/// ```swift
/// let c = try ClusterController(config: cfg, onSample: { print($0.json.serialized()) })
/// try await c.start()          // nodes up, full plan deployed
/// c.inject(Fault(.kill, .master))
/// let summary = await c.stop() // drains: summary.lost == 0
/// ```
public final class ClusterController: Sendable {
    let group: MultiThreadedEventLoopGroup
    let loop: EventLoop
    let shell: NIOLoopBoundBox<SourceShell>
    let processes: [Role: NodeProcess]
    let published: NIOLockedValueBox<SourceShell.Published?>
    /// The summary `stop` returned; a second `stop` returns it again (the loop is gone).
    let stopped = NIOLockedValueBox<SessionSummary?>(nil)
    let base: ClusterConfig

    /// `onEvent` / `onSample` are called on the controller's loop for every event and every
    /// per-second sample: return quickly.
    public init(config: ClusterConfig, onEvent: (@Sendable (SessionEvent) -> Void)? = nil,
                onSample: (@Sendable (Sample) -> Void)? = nil) throws {
        tuneMallocForLargeFrames()
        let path = config.weightsPath(for: config.kind)
        guard FileManager.default.fileExists(atPath: path) else { throw ClusterError.weightsMissing(path) }
        var ports = (master: 0, worker: 0)
        if let p = config.ports { ports = p } else if !config.attached {
            let free = freePorts(host: config.host, count: 2)
            guard free.count == 2 else { throw ClusterError.spawn("no free ports on \(config.host)") }
            ports = (free[0], free[1])
        }
        var processes: [Role: NodeProcess] = [:]
        if !config.attached {
            for r in Role.allCases {
                processes[r] = NodeProcess(role: r, executable: config.executable,
                                           arguments: SourceShell.nodeArguments(r, config: config, kind: config.kind, ports: ports),
                                           output: config.nodeOutput)
            }
        }
        self.processes = processes
        base = config
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        let shell = SourceShell(config: config, loop: loop, ports: ports, processes: processes,
                                onEvent: onEvent, onSample: onSample)
        published = shell.published
        self.shell = .makeBoxSendingValue(shell, eventLoop: loop)
    }

    // MARK: lifecycle

    /// Spawns both nodes and returns once the full plan for the kind and mode is deployed
    /// (or throws after `timeout` seconds, or at once when a node exits). Traffic starts then.
    public func start(timeout: Double = 15) async throws {
        for p in processes.values { try p.spawn() }
        let shell = self.shell
        try await loop.flatSubmit { shell.value.begin(timeout: timeout) }.get()
    }

    /// Waits (without blocking a thread) until `plan` is served, or throws after `timeout` s.
    public func plan(reaching plan: Plan, timeout: Double = 5) async throws {
        let shell = self.shell
        try await loop.flatSubmit {
            let s = shell.value
            return s.until({ s.source.served == plan }, timeout: timeout,
                           describe: { "no \(plan.rawValue) within \(timeout) s (serving \(s.source.served.rawValue))" })
        }.get()
    }

    /// Waits (without blocking a thread) until `condition` holds for the cluster's picture,
    /// evaluated on the loop after every tick; throws after `timeout` s with `describe`'s text.
    public func wait(until condition: @escaping @Sendable (ClusterSnapshot) -> Bool, timeout: Double,
                     describe: @escaping @Sendable (ClusterSnapshot) -> String) async throws {
        let shell = self.shell
        try await loop.flatSubmit {
            let s = shell.value
            return s.until({ condition(s.makeSnapshot()) }, timeout: timeout, describe: { describe(s.makeSnapshot()) })
        }.get()
    }

    /// Stops generating, waits until every request is answered (at most `drainTimeout` s:
    /// the deadline answers what no device will), stops the nodes and returns the summary.
    @discardableResult
    public func stop(drainTimeout: Double = 10) async -> SessionSummary {
        if let s = stopped.withLockedValue({ $0 }) { return s }
        let shell = self.shell
        let summary = (try? await loop.flatSubmit { shell.value.drainAndStop(timeout: drainTimeout) }.get())
            ?? picture.summary
        stopped.withLockedValue { $0 = summary }
        await offLoop { for p in self.processes.values { p.stop() } }
        try? await group.shutdownGracefully()
        return summary
    }

    // MARK: controls (posted to the loop; they return at once)

    /// Injects a fault now (real signals; `revive` starts the process again).
    public func inject(_ fault: Fault) {
        let shell = self.shell, loop = self.loop
        guard fault.action == .revive, fault.link == nil, let p = processes[fault.device] else {
            loop.execute { shell.value.inject(fault) }
            return
        }
        // Killing the old process and starting a new one blocks: done on a dispatch queue,
        // never on the event loop (heartbeats must keep their timing).
        DispatchQueue.global().async {
            if p.isRunning { p.signal(SIGKILL); _ = p.waitExit(timeout: 2) }
            let failure: String?
            do { try p.spawn(); failure = nil } catch { failure = "\(error)" }
            loop.execute { shell.value.revived(fault, failure: failure) }
        }
    }

    /// HA, HT, or auto (the controller picks for the offered rate).
    public func setMode(_ m: ModeSetting) {
        let shell = self.shell
        loop.execute { shell.value.setMode(m) }
    }

    /// Pins a plan of the kind's menu (nil: back to the mode's policy). Issue 14.
    public func pin(_ plan: Plan?) {
        let shell = self.shell
        loop.execute { shell.value.pin(plan); shell.value.publish(force: true) }
    }

    /// Sets the adaptive controller's goal (nil: back to the mode's policy), replacing a
    /// pinned plan; calibrates first if the goal's menu was never measured. Issue 14.
    public func setGoal(_ goal: Goal?) {
        let shell = self.shell
        loop.execute { shell.value.setGoal(goal); shell.value.publish(force: true) }
    }

    /// Offered rate in images/s; nil = as fast as the cluster takes.
    public func setRate(_ r: Double?) {
        let shell = self.shell
        loop.execute { shell.value.setRate(r) }
    }

    /// Restarts both nodes on `kind`'s weight file. Requests wait meanwhile (none is lost).
    public func setKind(_ kind: ModelKind) async throws {
        let path = base.weightsPath(for: kind)
        guard FileManager.default.fileExists(atPath: path) else { throw ClusterError.weightsMissing(path) }
        // Recorded with the switch, so a session log says which file every part ran on.
        let sha = (try? ModelFile.load(path: path).sha256) ?? ""
        let shell = self.shell
        let ports = try await loop.submit { () -> SourceShell.Ports in
            shell.value.restarting = true
            return shell.value.ports
        }.get()
        await offLoop { for p in self.processes.values { p.stop(grace: 0.5) } }
        for (r, p) in processes { p.arguments = SourceShell.nodeArguments(r, config: base, kind: kind, ports: ports) }
        try await loop.submit { shell.value.kindSwitched(to: kind, weightsSHA256: sha) }.get()
        do {
            for p in processes.values { try p.spawn() }
            try await loop.flatSubmit { shell.value.waitForFullPlan(timeout: 15) }.get()
        } catch {
            loop.execute { shell.value.restarting = false; shell.value.pump() }
            throw error
        }
        loop.execute { shell.value.restarting = false; shell.value.pump() }
    }

    // MARK: reading (no hop: the loop's last published picture)

    /// The cluster as last published (at most 100 ms old, and fresh after every event).
    public func snapshot() -> ClusterSnapshot { picture.snapshot }

    /// The summary so far, for a recording that ends while the cluster keeps running:
    /// requests in flight are counted as `outstanding`, not lost.
    public func summaryNow() -> SessionSummary { picture.summary }

    /// Every event since the start (up to the last 500), oldest first: a recording
    /// started later begins with them.
    public func eventsSoFar() -> [SessionEvent] { picture.events }

    var picture: SourceShell.Published {
        guard let p = published.withLockedValue({ $0 }) else { preconditionFailure("published in SourceShell.init") }
        return p
    }

    public var kind: ModelKind { snapshot().kind }

    /// Runs blocking work (waiting for processes) on a dispatch queue, not on the
    /// cooperative thread pool or the loop.
    func offLoop(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { body(); c.resume() }
        }
    }
}

/// The source: all of the controller's state, on its event loop. Carries out the source
/// instance's directives (ClusterController+Links/Dispatch/Report.swift).
final class SourceShell {
    typealias Ports = (master: Int, worker: Int)
    /// What readers see without a hop (`ClusterController.snapshot()` etc.).
    struct Published: Sendable {
        var snapshot: ClusterSnapshot
        var summary: SessionSummary
        var events: [SessionEvent]
    }

    var config: ClusterConfig
    let logger: Logger
    let loop: EventLoop
    let processes: [Role: NodeProcess]
    let ports: Ports
    let onEvent: (@Sendable (SessionEvent) -> Void)?
    let onSample: (@Sendable (Sample) -> Void)?
    /// Set in `init`, never nil after it.
    let published = NIOLockedValueBox<Published?>(nil)
    var lastPublished: UInt64 = 0

    // Source state.
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
    /// Issue 14: the adaptive runtime and the slowdowns injected (ClusterController+Adaptive.swift).
    var adaptive: AdaptiveRuntime
    var lastModelEvent = 0.0
    /// When the running calibration began, and the requests submitted until then.
    var calibrationStart: (t: Double, submitted: UInt64)?
    /// Calibration is over; its requests are still being answered (nothing new is generated).
    var calibrationDraining = false
    var slowdowns: [Role: RepeatedTask] = [:]
    var slowGeneration: [Role: Int] = [:]
    var injectedSlow: [Role: Double] = [:]
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
    var sampleTask: RepeatedTask?
    var stopped = false
    /// A node process that exited while the cluster was starting.
    var exitedAtStart: Role?
    /// Conditions someone waits for (`until`): checked on the loop after every tick, so
    /// waiting is event-driven, not a poll from another thread.
    var waiters: [(check: () -> Bool, promise: EventLoopPromise<Void>)] = []

    init(config: ClusterConfig, loop: EventLoop, ports: Ports, processes: [Role: NodeProcess],
         onEvent: (@Sendable (SessionEvent) -> Void)?, onSample: (@Sendable (Sample) -> Void)?) {
        self.config = config
        logger = config.logger
        self.loop = loop
        self.ports = ports
        self.processes = processes
        self.onEvent = onEvent
        self.onSample = onSample
        modeSetting = config.mode
        runningMode = config.mode == .ht ? .ht : .ha
        rate = config.rate
        var s = SourceInstance.Settings()
        s.deadline = config.requestDeadline
        s.batchSize = config.batchSize
        s.windowBatches = config.windowBatches
        source = SourceInstance(kind: config.kind, settings: s, cluster: config.settings)
        adaptive = Self.makeAdaptive(config: config, kind: config.kind, policy: Self.policy(for: config))
        if let p = adaptive.wanted { runningMode = p.isJoint ? .ha : .ht }
        source.wantedMode = runningMode
        source.wantedPlan = adaptive.wanted
        startNanos = DispatchTime.now().uptimeNanoseconds
        published.withLockedValue { $0 = picture() }
    }

    static func nodeArguments(_ r: Role, config: ClusterConfig, kind: ModelKind, ports: Ports) -> [String] {
        let addr = (master: "\(config.host):\(ports.master)", worker: "\(config.host):\(ports.worker)")
        return ["node", "--role", r.rawValue,
                "--listen", r == .master ? addr.master : addr.worker,
                "--peer", r == .master ? addr.worker : addr.master,
                "--weights", config.weightsPath(for: kind)] + config.link.nodeArguments
            + (config.tlsDirectory.map { ["--tls", $0] } ?? [])
    }

    var now: UInt64 { DispatchTime.now().uptimeNanoseconds }
    var t: Double { Double(now &- startNanos) / 1e9 }

    // MARK: publishing

    func picture() -> Published {
        var summary = self.summary(duration: t)
        summary.outstanding = tracker.outstanding
        return Published(snapshot: makeSnapshot(), summary: summary, events: events)
    }

    /// Publishes what readers see; `force` after an event or a control, else at most every 100 ms.
    func publish(force: Bool = false) {
        let n = now
        guard force || n &- lastPublished >= 100_000_000 else { return }
        lastPublished = n
        let p = picture()
        published.withLockedValue { $0 = p }
    }

    // MARK: waiting

    /// A future that succeeds once `condition` (evaluated on the loop) holds, or fails with
    /// `ClusterError.startTimeout(describe())` after `timeout` seconds.
    func until(_ condition: @escaping () -> Bool, timeout: Double, describe: @escaping () -> String) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        if condition() { promise.succeed(()); return promise.futureResult }
        waiters.append((condition, promise))
        loop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(max(0, timeout) * 1e9))) {
            guard let i = self.waiters.firstIndex(where: { $0.promise.futureResult === promise.futureResult }) else { return }
            self.waiters.remove(at: i)
            promise.fail(ClusterError.startTimeout(describe()))
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

    // MARK: lifecycle

    /// Starts the tick and the dials; succeeds once the full plan is deployed, then starts traffic.
    func begin(timeout: Double) -> EventLoopFuture<Void> {
        startNanos = now
        startCPU = processCPUSeconds()
        raiseEventLoopThreadPriority()
        let me = NIOLoopBound(self, eventLoop: loop)
        tasks.append(loop.scheduleRepeatedTask(initialDelay: .zero,
                                               delay: .nanoseconds(Int64(config.settings.tickInterval.nanoseconds))) { _ in
            me.value.tick()
        })
        for r in Role.allCases { dial(r) }
        return waitForFullPlan(timeout: timeout).map {
            me.value.startTraffic()
        }
    }

    func startTraffic() {
        startNanos = now
        startCPU = processCPUSeconds()
        lastGenerate = now
        generating = true
        startSamples()
        pump()
        publish(force: true)
    }

    /// A sample every second from now (again from the end of calibration: the first
    /// sample of the session proper then holds none of calibration's full-load traffic).
    func startSamples() {
        sampleTask?.cancel()
        let me = NIOLoopBound(self, eventLoop: loop)
        sampleTask = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in me.value.emitSample() }
    }

    /// The plan both devices should run for the current kind and mode.
    var fullPlan: Plan { Planner.plan(kind: config.kind, alive: [.master, .worker], mode: runningMode, wanted: source.wantedPlan) }

    /// Both devices reachable and both running the Master's full plan for the kind and mode;
    /// fails at once when a node process exits during start-up.
    func waitForFullPlan(timeout: Double) -> EventLoopFuture<Void> {
        exitedAtStart = nil
        let me = NIOLoopBound(self, eventLoop: loop)
        return until({
            for r in Role.allCases where self.processes[r].map({ !$0.isRunning }) ?? !self.config.attached {
                self.exitedAtStart = r
                return true
            }
            return self.source.isReachable(.master) && self.source.isReachable(.worker)
                && self.source.governing(.master)?.plan == self.fullPlan
                && self.source.governing(.worker)?.plan == self.fullPlan
                && self.source.governing(.master)?.leader == .master
        }, timeout: timeout, describe: {
            "no \(self.fullPlan.rawValue) plan within \(timeout) s (plan \(self.source.served.rawValue), "
                + "reachable \(self.source.reachable.map(\.rawValue).sorted()))"
        }).flatMapThrowing {
            if let r = me.value.exitedAtStart {
                throw ClusterError.startTimeout("the \(r.rawValue) node exited at start (see its log; run `fluid node` by hand to see why)")
            }
        }
    }

    /// Stops generating, waits for the drain, closes the links; the summary.
    func drainAndStop(timeout: Double) -> EventLoopFuture<SessionSummary> {
        generating = false
        let end = t
        let me = NIOLoopBound(self, eventLoop: loop)
        return until({ self.tracker.outstanding == 0 }, timeout: timeout, describe: { "drain" })
            .recover { _ in }
            .map { me.value.close(duration: end) }
    }

    func close(duration: Double) -> SessionSummary {
        publish(force: true)
        stopped = true
        for d in Role.allCases { stopSlowdown(d, resume: true) }
        for task in tasks { task.cancel() }
        sampleTask?.cancel()
        for l in links.values { l.closing = true; l.channel.close(promise: nil) }
        for w in waiters { w.promise.fail(ClusterError.startTimeout("stopped")) }
        waiters.removeAll()
        return summary(duration: duration)
    }

    // MARK: controls

    func inject(_ fault: Fault) {
        let at = now
        defer { publish(force: true) }
        if let link = fault.link {
            injectLink(fault.action == .cut, link: link, at: at)
            emit(.fault(fault))
            return
        }
        guard let p = processes[fault.device] else { return }
        if fault.action == .kill || fault.action == .hang { stopSlowdown(fault.device, resume: false) }
        switch fault.action {
        case .slow:
            startSlowdown(fault.device, factor: fault.factor ?? 2)
        case .unslow:
            stopSlowdown(fault.device, resume: true)
        case .kill:
            p.signal(SIGKILL)
            faults.lastFault[fault.device] = .init(action: .kill, at: at)
        case .hang:
            p.signal(SIGSTOP)
            faults.lastFault[fault.device] = .init(action: .hang, at: at)
        case .resume:
            p.signal(SIGCONT)
            faults.awaitingRecovery[fault.device] = .init(action: .resume, at: at)
        case .revive, .cut, .heal:
            break
        }
        emit(.fault(fault))
    }

    /// The process of a `revive` was started again (off the loop).
    func revived(_ fault: Fault, failure: String?) {
        if let failure { emit(.message("revive \(fault.device.rawValue) failed: \(failure)")) }
        faults.awaitingRecovery[fault.device] = .init(action: .revive, at: now)
        emit(.fault(fault))
    }

    /// Cuts or heals a link for real: the source's own links in this process (a handler that
    /// holds every byte both ways), the Master ↔ Worker link inside both nodes (SIGUSR1 cuts,
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

    func setMode(_ m: ModeSetting) {
        adaptiveModeSet(m)
        publish(force: true)
    }

    func setRate(_ r: Double?) {
        rate = r.map { max(1, $0) }
        generatedAtRate = 0
        lastGenerate = now
        publish(force: true)
    }

    func kindSwitched(to kind: ModelKind, weightsSHA256 sha: String) {
        config.kind = kind
        source.reset(kind: kind)
        adaptiveKindSwitched(to: kind)
        nodeWeights.removeAll()
        emit(.kind(kind, weightsSHA256: sha))
    }
}

/// CPU seconds (user + system) used by this process so far.
package func processCPUSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
}
