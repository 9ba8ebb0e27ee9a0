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
    var detector: FailureDetector<Role>
    var deathCause: [Role: FailureDetector<Role>.Cause] = [:]
    var tracker = RequestTracker()
    /// The plan in force as the source sees it (see `refreshPlan`).
    var announced: PlanAnnouncement?
    /// The latest plan each node relayed.
    var nodePlans: [Role: PlanAnnouncement] = [:]
    /// SHA-256 of the weight file each node loaded, from its hello (cleared on a kind switch).
    var nodeWeights: [Role: String] = [:]
    var modeSetting: ModeSetting
    var runningMode: Mode
    var auto = AutoMode()
    var rate: Double?
    var nextID: UInt64 = 0
    var generatedAtRate: Double = 0
    var lastGenerate: UInt64 = 0
    var generating = false
    var restarting = false
    var paused: [Role: UInt64] = [:]
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

    public init(config: ClusterConfig) throws {
        tuneMallocForLargeFrames()
        self.config = config
        logger = config.logger
        modeSetting = config.mode
        runningMode = config.mode == .ht ? .ht : .ha
        rate = config.rate
        detector = FailureDetector(settings: config.settings)
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

    func waitForFullPlan(timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let ok = onLoop { () -> Bool in
                guard let a = self.announced else { return false }
                return a.plan == self.fullPlan && a.leader == .master
                    && self.detector.isAlive(.master) && self.detector.isAlive(.worker)
            }
            if ok { return }
            for r in Role.allCases where processes[r].map({ !$0.isRunning }) ?? !config.attached {
                throw ClusterError.startTimeout("the \(r.rawValue) node exited at start (see its log; run `fluid node` by hand to see why)")
            }
            usleep(10_000)
        }
        let state = onLoop { "plan \(self.announced?.plan.rawValue ?? "none yet"), alive \(self.detector.alive.map(\.rawValue).sorted())" }
        throw ClusterError.startTimeout("no \(onLoop { self.fullPlan.rawValue }) plan within \(timeout) s (\(state))")
    }

    /// Stops generating, waits until every request is answered (at most `drainTimeout` s),
    /// stops the nodes and returns the summary.
    @discardableResult
    public func stop(drainTimeout: Double = 10) -> SessionSummary {
        let end = onLoop { () -> Double in self.generating = false; return self.t }
        let deadline = Date().addingTimeInterval(drainTimeout)
        while Date() < deadline, onLoop({ self.tracker.outstanding }) > 0 { usleep(5_000) }
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
        onLoop {
            guard let p = self.processes[fault.device] else { return }
            let at = self.now
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
            case .revive:
                if p.isRunning { p.signal(SIGKILL); _ = p.waitExit(timeout: 2) }
                do { try p.spawn() } catch { self.emit(.message("revive \(fault.device.rawValue) failed: \(error)")) }
                self.faults.awaitingRecovery[fault.device] = .init(action: .revive, at: at)
            }
            self.emit(.fault(fault))
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
            self.announced = nil
            self.nodePlans.removeAll()
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
