import FluidCluster
import FluidDashboard
import FluidModel
import FluidTransport
import Foundation
import Logging

/// Adapter: FluidTransport's `ClusterController` ⇄ the dashboard's `DashboardDriver`.
///
/// Keys become controller calls (faults with real signals, mode, kind, rate); the
/// controller's snapshot becomes a `DashboardSnapshot`. Events and samples arrive on
/// the controller's loop (`onEvent`/`onSample`): they are numbered and kept here
/// under a lock, appended to the session log while recording, and read by the
/// dashboard loop's thread.
final class ClusterDashboardDriver: DashboardDriver {
    private let controller: ClusterController
    private let logger: Logger
    private let lock = NSLock()
    // Guarded by `lock`.
    private var events: [DashboardEvent] = []
    private var sequence = 0
    private var accuracyHistory: [Double] = []
    private var masterHistory: [Double] = []
    private var workerHistory: [Double] = []
    private var unavailableHistory: [Double] = []
    private var throughputHistory: [Double] = []
    private var planReason = ""
    private var sessionLog: FileHandle?
    private var failureText: String?
    private var intents = FaultIntents()
    private var kinds = KindQueue()
    private var kindSwitch: Task<Void, Never>?
    private var messages: [String] = []
    /// Devices that went down without a fault of ours (cleared when they come back).
    private var unexpectedlyDown: Set<Role> = []
    private var stopped = false
    /// Set by `shutdown()`: one line for the user once the terminal is back.
    private(set) var summaryLine: String?

    /// Offered-rate ladder for `+`/`-` (images/s); above the top is "unthrottled". It
    /// reaches past what HA serves on loopback (~50 k img/s), so a rate can be set that
    /// the cluster cannot keep up with.
    static let rates: [Double] = [10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000,
                                  20000, 50000, 100_000, 200_000]
    static let historyLength = 600
    /// Device-down causes that we brought about: faults from the keys, and the
    /// controller restarting or stopping the nodes (kind switch, quit).
    static let expectedCauses: Set<String> = ["kill", "hang", "restart", "stop"]

    /// Loads the test set, spawns both nodes and waits for the full plan (before
    /// curses takes the terminal, so start-up errors print normally).
    init(kind: ModelKind, mode: ModeSetting, rate: Double?, modelsDirectory: String,
         dataDirectory: String?, nodeLogDirectory: String, tlsDirectory: String? = nil, logger: Logger) throws {
        self.logger = logger
        guard let dir = dataDirectory ?? MNIST.defaultDirectory() else {
            let tried = MNIST.candidateDirectories().joined(separator: ", ")
            throw DemoError("no MNIST data found (tried \(tried)); run `make data` or pass --data DIR / set MNIST_DIR")
        }
        let testSet = try MNIST.load(directory: dir, split: .test)
        var config = ClusterConfig(kind: kind, testSet: testSet)
        config.mode = mode
        config.rate = rate
        config.weightsDirectory = modelsDirectory
        // A node that cannot load its weights exits with the reason in a log the user
        // does not see: load the file here first, so the reason is the error message.
        let weights = config.weightsPath(for: kind)
        do { _ = try ModelFile.load(path: weights) } catch {
            throw DemoError("cannot start the nodes on \(weights): \(error)")
        }
        config.nodeOutput = .directory(nodeLogDirectory)
        config.logger = logger
        if let d = tlsDirectory { try config.useTLS(directory: d, createIfMissing: true) }
        // The callbacks reach this driver through a relay: they are given to the
        // controller before `self` exists.
        let relay = Relay()
        controller = try ClusterController(config: config, onEvent: { relay.driver?.received($0) },
                                           onSample: { relay.driver?.received($0) })
        relay.driver = self
        let c = controller
        do {
            try runBlocking { try await c.start() }
        } catch {
            _ = try? runBlocking { await c.stop(drainTimeout: 0) }
            throw error
        }
    }

    // MARK: controller → dashboard

    fileprivate func received(_ e: SessionEvent) {
        lock.lock(); defer { lock.unlock() }
        let line = e.json.serialized()
        writeLog(line)
        sequence += 1
        guard let parsed = SessionLogParser.event(fromJSONLine: line) else { return }
        var d = SessionEventText.dashboardEvent(parsed, sequence: sequence)
        switch e.kind {
        case .plan(_, let reason, _, _, _):
            planReason = reason
        case .deviceDown(let role, let cause, _, _) where !Self.expectedCauses.contains(cause) && !stopped:
            // Not one of ours: a node crashed or exited by itself. The cluster fails
            // over as it would for a fault; if no node is left, the demo stops.
            d.text = "\(role.title) stopped unexpectedly · " + d.text
            d.severity = .failure
            unexpectedlyDown.insert(role)
            if unexpectedlyDown.count == 2, !kinds.busy {
                failureText = "both nodes stopped unexpectedly (see the node logs)"
            }
        case .deviceUp(let role, _):
            unexpectedlyDown.remove(role)
        default: break
        }
        events.append(d)
        if events.count > 500 { events.removeFirst(events.count - 500) }
    }

    fileprivate func received(_ s: Sample) {
        lock.lock(); defer { lock.unlock() }
        writeLog(s.json.serialized())
        if let a = s.accuracy { append(&accuracyHistory, a) }
        append(&throughputHistory, s.throughput)
        append(&masterHistory, s.master.answersPerSecond)
        append(&workerHistory, s.worker.answersPerSecond)
        append(&unavailableHistory, s.unavailablePerSecond)
    }

    private func append(_ xs: inout [Double], _ x: Double) {
        xs.append(x)
        if xs.count > Self.historyLength { xs.removeFirst(xs.count - Self.historyLength) }
    }

    /// A note of our own in the event log (kind switches, errors).
    private func note(_ text: String, _ severity: EventSeverity = .info) {
        // Never hold `lock` while hopping onto the controller's loop: its callbacks take `lock`.
        let t = controller.snapshot().t
        lock.lock(); defer { lock.unlock() }
        sequence += 1
        events.append(DashboardEvent(sequence: sequence, time: t, text: text, severity: severity))
    }

    /// A line for the status bar (the loop takes it on its next frame).
    private func tell(_ text: String) {
        lock.withLock { messages.append(text) }
    }

    func takeMessage() -> String? {
        lock.withLock { messages.isEmpty ? nil : messages.removeFirst() }
    }

    func snapshot() -> DashboardSnapshot {
        lock.lock()
        let stopped = self.stopped, events = self.events, reason = planReason, kindStatus = kinds.status
        let histories = (accuracyHistory, throughputHistory, masterHistory, workerHistory, unavailableHistory)
        lock.unlock()
        guard !stopped else { return DashboardSnapshot(status: "stopping…") }
        let c = controller.snapshot()
        let last = c.lastSample
        var s = DashboardSnapshot(kind: c.kind, mode: c.modeSetting, plan: c.servedPlan,
                                  planReason: reason, sessionTime: c.t)
        s.health = c.health
        s.linkCut = c.linkCut
        s.throughput = last?.throughput ?? 0
        s.unavailableRate = last?.unavailablePerSecond ?? 0
        s.accuracy = last?.accuracyWindow
        s.accuracyCount = last?.accuracyWindowCount ?? 0
        s.offeredRate = c.rate
        s.master = device(.master, c)
        s.worker = device(.worker, c)
        (s.accuracyHistory, s.throughputHistory, s.masterHistory, s.workerHistory, s.unavailableHistory) = histories
        s.events = Array(events.suffix(400))
        s.counters = RequestCounters(sent: c.sent, answered: c.answered, predicted: c.predicted,
                                     unavailable: c.unavailable, inFlight: c.outstanding)
        var status: [String] = []
        if let k = kindStatus ?? (c.restarting ? "restarting nodes on \(c.kind.rawValue)…" : nil) { status.append(k) }
        if c.modeSetting == .auto { status.append("auto → \(c.runningMode.rawValue.uppercased())") }
        if c.rate == nil { status.append("rate: unthrottled") }
        s.status = status.isEmpty ? nil : status.joined(separator: "  ")
        return s
    }

    private func device(_ role: Role, _ c: ClusterSnapshot) -> DeviceStatus {
        let d = c.device(role)
        let live = d.state == .up
        var status = DeviceStatus(name: role, state: d.state,
                            isLeader: live && c.selfLed.contains(role),
                            job: live ? c.servedPlan.job(for: role) : .idle,
                            imagesPerSecond: d.imagesPerSecond, answersPerSecond: d.answersPerSecond,
                            latencyP50ms: jointLatency(role, c, \.latencyP50Ms),
                            latencyP99ms: jointLatency(role, c, \.latencyP99Ms),
                            heartbeatAgeMs: d.heartbeatAgeMs,
                            bytesSent: d.peerBytesOut, bytesReceived: d.peerBytesIn, pid: d.pid)
        status.slowFactor = d.slowFactor
        return status
    }

    /// A device's own answers' latency; in a joint plan the Master answers for both, so
    /// the Worker shows the joint answers' latency (its work is inside every one).
    private func jointLatency(_ role: Role, _ c: ClusterSnapshot, _ key: KeyPath<DeviceSample, Double?>) -> Double? {
        let own = c.device(role)[keyPath: key]
        if own == nil, role == .worker, c.servedPlan.isJoint { return c.master[keyPath: key] }
        return own
    }

    var failure: String? {
        lock.lock(); defer { lock.unlock() }
        return failureText
    }

    // MARK: dashboard → controller

    /// What the screen shows of a device's process: running (incl. starting), hung, gone.
    private func observed(_ role: Role) -> DeviceIntent {
        let d = controller.snapshot().device(role)
        if d.pid == nil { return .killed }
        return d.state == .hung ? .hung : .up
    }

    func perform(_ action: DashboardAction) {
        let now = ProcessInfo.processInfo.systemUptime
        lock.lock()
        let busy = kinds.busy
        let gone = stopped
        lock.unlock()
        if gone { return }
        switch action {
        case .crashOrRevive(let role):
            let seen = observed(role)
            let command = lock.withLock { intents.crashOrRevive(role, observed: seen, now: now) }
            if busy {
                tell("\(Self.describe(command)) queued: applied once the nodes have restarted")
            } else {
                carryOut(command)
            }
        case .hangOrResume(let role):
            let seen = observed(role)
            let (command, refusal) = lock.withLock { intents.hangOrResume(role, observed: seen, now: now) }
            if let refusal { return tell(refusal) }
            guard let command else { return }
            if busy {
                tell("\(Self.describe(command)) queued: applied once the nodes have restarted")
            } else {
                carryOut(command)
            }
        case .cutOrHealLink:
            let cut = controller.snapshot().linkCut
            controller.inject(Fault(cut ? .heal : .cut, link: .masterWorker))
            tell(cut ? "healing the Master ↔ Worker link" : "cutting the Master ↔ Worker link: every byte dropped, sockets open")
        case .slowOrUnslow(let role):
            let slowed = controller.snapshot().injectedSlow[role] != nil
            controller.inject(slowed ? Fault(.unslow, role) : Fault(slow: role, factor: 4))
            tell(slowed ? "\(role.title) back to full speed" : "\(role.title) 4× slower: stopped 90 ms of every 120 ms")
        case .toggleMode:
            let running = controller.snapshot().runningMode
            controller.setMode(running == .ha ? .ht : .ha)
        case .autoMode:
            controller.setMode(.auto)
        case .selectKind(let k):
            let current = controller.kind
            let outcome = lock.withLock { kinds.request(k, current: current) }
            switch outcome {
            case .start(let kind): startKindSwitch(to: kind)
            case .queued(let kind): tell("\(kind.title) queued: the nodes are restarting; it follows")
            case .unchanged: tell("already running \(k.title)")
            }
        case .rateUp, .rateDown:
            let c = controller.snapshot()
            let next = Self.nextRate(current: c.rate, measured: c.lastSample?.throughput ?? 0, up: action == .rateUp)
            controller.setRate(next)
            tell(next.map { "offered rate \(Int($0)) img/s" } ?? "offered rate: unthrottled (as fast as answered)")
        default:
            break
        }
    }

    static func describe(_ c: DeviceCommand) -> String {
        switch c {
        case .kill(let r): return "kill \(r.title)"
        case .revive(let r): return "revive \(r.title)"
        case .hang(let r): return "hang \(r.title)"
        case .resume(let r): return "resume \(r.title)"
        }
    }

    private func carryOut(_ c: DeviceCommand) {
        switch c {
        case .kill(let r): controller.inject(Fault(.kill, r))
        case .revive(let r): controller.inject(Fault(.revive, r))
        case .hang(let r): controller.inject(Fault(.hang, r))
        case .resume(let r): controller.inject(Fault(.resume, r))
        }
    }

    /// The next offered rate on the ladder. Unthrottled (nil) is above the top; going
    /// down from it starts below what the cluster is doing, so the change shows.
    static func nextRate(current: Double?, measured: Double, up: Bool) -> Double? {
        guard let r = current else {
            return up ? nil : (rates.last { $0 < max(measured, rates[0] + 1) } ?? rates[0])
        }
        if up { return rates.first { $0 > r } }  // past the top: unthrottled
        return rates.last { $0 < r } ?? rates[0]
    }

    /// `setKind` restarts both nodes and waits for the new plan (seconds): off the
    /// dashboard's thread, so the screen keeps drawing meanwhile. Kinds asked for
    /// meanwhile follow in turn; then the faults the user had injected are put back.
    private func startKindSwitch(to kind: ModelKind) {
        let task = Task.detached { [weak self] in
            guard let self else { return }
            var next: ModelKind? = kind
            while let k = next {
                do {
                    try await self.controller.setKind(k)
                } catch {
                    self.logger.error("switching to \(k.rawValue) failed: \(error)")
                    self.note("switching to \(k.rawValue) failed: \(error)", .failure)
                    self.tell("switching to \(k.title) failed: \(error)")
                }
                let current = self.controller.kind
                next = self.lock.withLock { self.stopped ? nil : self.kinds.finished(current: current) }
            }
            let reapply = self.lock.withLock { self.stopped ? [] : self.intents.reapply() }
            for c in reapply {
                self.note("\(Self.describe(c)) again: it was down before the restart", .warning)
                self.carryOut(c)
            }
            self.tell("running \(self.controller.kind.title)")
        }
        lock.withLock { kindSwitch = task }
    }

    // MARK: recording

    func setSessionLog(path: String?) throws {
        let c = controller.snapshot()  // before taking `lock` (see `note`)
        if path == nil {
            // A recording that ends says how it ended, like a run does.
            let summary = controller.summaryNow()
            lock.withLock {
                writeLog(summary.json.serialized())
                try? sessionLog?.close()
                sessionLog = nil
            }
            return
        }
        guard let path else { return }
        // The file the nodes announced they loaded; before any handshake, the file they will load.
        let sha = c.weightsSHA256 ?? (try? ModelFile.load(path: c.weightsPath).sha256) ?? ""
        let past = controller.eventsSoFar()
        lock.lock(); defer { lock.unlock() }
        try? sessionLog?.close()
        sessionLog = nil
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let h = FileHandle(forWritingAtPath: path) else {
            throw DemoError("cannot create the session log \(path): \(String(cString: strerror(errno)))")
        }
        sessionLog = h
        let header = SessionHeader(kind: c.kind, mode: c.modeSetting, rate: c.rate, duration: nil,
                                   faults: "", weightsSHA256: sha, source: "fluid demo",
                                   startedAt: Date().addingTimeInterval(-c.t),
                                   recordingFrom: max(c.t, past.last?.t ?? 0),
                                   extra: [("weights", .string(c.weightsPath))])
        writeLog(header.json.serialized())
        // The log starts with what happened before the recording did (start-up, faults).
        for e in past { writeLog(e.json.serialized()) }
    }

    /// Appends one line (flushed: a crash leaves a valid prefix). Caller holds `lock`.
    private func writeLog(_ line: String) {
        guard let h = sessionLog else { return }
        do { try h.write(contentsOf: Data((line + "\n").utf8)) } catch {
            logger.error("session log write failed: \(error); recording stopped")
            try? h.close()
            sessionLog = nil
        }
    }

    // MARK: shutdown

    func shutdown() {
        lock.lock()
        if stopped { lock.unlock(); return }
        stopped = true
        let switching = kindSwitch
        lock.unlock()
        // A kind switch in progress finishes (or times out) before the nodes are stopped.
        let c = controller
        let summary = (try? runBlocking { () async -> SessionSummary in
            await switching?.value
            return await c.stop(drainTimeout: 3)
        }) ?? c.summaryNow()
        lock.lock()
        writeLog(summary.json.serialized())
        try? sessionLog?.close()
        sessionLog = nil
        lock.unlock()
        logger.info("demo stopped: \(summary.json.serialized())")
        let acc = summary.accuracy.map { String(format: "%.2f %%", $0 * 100) } ?? "–"
        summaryLine = "sent \(summary.sent), predictions \(summary.predicted), unavailable \(summary.unavailable), "
            + "lost \(summary.lost), accuracy \(acc), \(summary.failovers.count) failover(s)"
    }
}

/// Forwards the controller's callbacks to the driver once it exists.
private final class Relay {
    weak var driver: ClusterDashboardDriver?
}

/// Runs async work to its end from a thread that may block — the dashboard's (the main
/// thread) or start-up before curses — never from an event loop or the cooperative pool.
func runBlocking<T>(_ body: @escaping () async throws -> T) throws -> T {
    let outcome = Outcome<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { outcome.result = .success(try await body()) } catch { outcome.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try outcome.result!.get()
}

private final class Outcome<T> { var result: Result<T, Error>? }

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
