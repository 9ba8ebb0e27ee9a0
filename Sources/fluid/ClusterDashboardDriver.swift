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
    private var planReason = ""
    private var sessionLog: FileHandle?
    private var sessionLogStart = 0.0
    private var failureText: String?
    private var kindSwitch: (kind: DashboardKind, thread: Thread)?
    private var lastRevive: [Role: Double] = [:]
    /// Devices that went down without a fault of ours (cleared when they come back).
    private var unexpectedlyDown: Set<Role> = []
    private var stopped = false
    /// Set by `shutdown()`: one line for the user once the terminal is back.
    private(set) var summaryLine: String?

    /// Offered-rate ladder for `+`/`-` (images/s); above the top is "unthrottled".
    static let rates: [Double] = [10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000]
    static let historyLength = 240
    /// Device-down causes that we brought about: faults from the keys, and the
    /// controller restarting or stopping the nodes (kind switch, quit).
    static let expectedCauses: Set<String> = ["kill", "hang", "restart", "stop"]

    /// Loads the test set, spawns both nodes and waits for the full plan (before
    /// curses takes the terminal, so start-up errors print normally).
    init(kind: DashboardKind, mode: DashboardMode, rate: Double?, modelsDirectory: String,
         dataDirectory: String?, nodeLogDirectory: String, tlsDirectory: String? = nil, logger: Logger) throws {
        self.logger = logger
        guard let dir = dataDirectory ?? MNIST.defaultDirectory() else {
            let tried = MNIST.candidateDirectories().joined(separator: ", ")
            throw DemoError("no MNIST data found (tried \(tried)); run `make data` or pass --data DIR / set MNIST_DIR")
        }
        let testSet = try MNIST.load(directory: dir, split: .test)
        var config = ClusterConfig(kind: ModelKind(rawValue: kind.rawValue) ?? .fluid, testSet: testSet)
        config.mode = ModeSetting(rawValue: mode.rawValue) ?? .ha
        config.rate = rate
        config.weightsDirectory = modelsDirectory
        config.nodeOutput = .directory(nodeLogDirectory)
        config.logger = logger
        if let d = tlsDirectory { try config.useTLS(directory: d, createIfMissing: true) }
        controller = try ClusterController(config: config)
        controller.onEvent = { [weak self] e in self?.received(e) }
        controller.onSample = { [weak self] s in self?.received(s) }
        do {
            try controller.start()
        } catch {
            controller.stop(drainTimeout: 0)
            throw error
        }
    }

    // MARK: controller → dashboard

    private func received(_ e: SessionEvent) {
        let line = e.json.serialized()
        lock.lock(); defer { lock.unlock() }
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
            d.text = "\(role == .master ? "Master" : "Worker") stopped unexpectedly · " + d.text
            d.severity = .failure
            unexpectedlyDown.insert(role)
            if unexpectedlyDown.count == 2, kindSwitch == nil {
                failureText = "both nodes stopped unexpectedly (see the node logs)"
            }
        case .deviceUp(let role, _):
            unexpectedlyDown.remove(role)
        default: break
        }
        events.append(d)
        if events.count > 500 { events.removeFirst(events.count - 500) }
    }

    private func received(_ s: Sample) {
        lock.lock(); defer { lock.unlock() }
        writeLog(s.json.serialized())
        if let a = s.accuracy { accuracyHistory.append(a) }
        if accuracyHistory.count > Self.historyLength { accuracyHistory.removeFirst() }
    }

    /// A note of our own in the event log (kind switches, errors).
    private func note(_ text: String, _ severity: EventSeverity = .info) {
        // Never hold `lock` while hopping onto the controller's loop: its callbacks take `lock`.
        let t = controller.snapshot().t
        lock.lock(); defer { lock.unlock() }
        sequence += 1
        events.append(DashboardEvent(sequence: sequence, time: t, text: text,
                                     severity: severity))
    }

    func snapshot() -> DashboardSnapshot {
        lock.lock()
        let stopped = self.stopped, events = self.events, accuracy = self.accuracyHistory,
            reason = planReason, switching = kindSwitch?.kind
        lock.unlock()
        guard !stopped else { return DashboardSnapshot(status: "stopping…") }
        let c = controller.snapshot()
        var s = DashboardSnapshot(kind: DashboardKind(rawValue: c.kind.rawValue) ?? .fluid,
                                  mode: DashboardMode(rawValue: c.modeSetting.rawValue) ?? .ha,
                                  plan: c.plan.rawValue, planReason: reason, sessionTime: c.t)
        s.throughput = c.lastSample?.throughput ?? 0
        s.accuracy = c.lastSample?.accuracy
        s.offeredRate = c.rate
        s.master = device(.master, c)
        s.worker = device(.worker, c)
        s.throughputHistory = c.throughputHistory
        s.accuracyHistory = accuracy
        s.events = Array(events.suffix(200))
        s.counters = RequestCounters(sent: c.sent, answered: c.answered, unavailable: c.unavailable,
                                     inFlight: c.outstanding)
        var status: [String] = []
        if let k = switching ?? (c.restarting ? s.kind : nil) { status.append("restarting nodes on \(k.rawValue)…") }
        if c.modeSetting == .auto { status.append("auto → \(c.runningMode.rawValue.uppercased())") }
        if c.rate == nil { status.append("rate: unthrottled") }
        s.status = status.isEmpty ? nil : status.joined(separator: "  ")
        return s
    }

    private func device(_ role: Role, _ c: ClusterSnapshot) -> DeviceStatus {
        let d = c.device(role)
        let subnet = d.state == .up ? PlanJobs.subnet(plan: c.plan.rawValue, device: role == .master ? .master : .worker) : nil
        // Latency is per request, measured at the source: shown on the devices serving.
        let serving = subnet != nil
        return DeviceStatus(name: role == .master ? .master : .worker, state: d.state,
                            isLeader: c.leader == role, subnet: subnet,
                            imagesPerSecond: d.imagesPerSecond,
                            latencyP50ms: serving ? c.lastSample?.latencyP50Ms : nil,
                            latencyP99ms: serving ? c.lastSample?.latencyP99Ms : nil,
                            heartbeatAgeMs: d.heartbeatAgeMs,
                            bytesSent: d.peerBytesOut, bytesReceived: d.peerBytesIn, pid: d.pid)
    }

    var failure: String? {
        lock.lock(); defer { lock.unlock() }
        return failureText
    }

    // MARK: dashboard → controller

    func perform(_ action: DashboardAction) {
        lock.lock()
        let busy = kindSwitch != nil || stopped
        lock.unlock()
        switch action {
        case .crashOrRevive(let d):
            guard !busy else { return note("nodes are restarting: try again in a moment", .warning) }
            let role: Role = d == .master ? .master : .worker
            let dev = controller.snapshot().device(role)
            if dev.state == .down && dev.pid == nil {
                controller.inject(Fault(.revive, role))
                lock.withLock { lastRevive[role] = ProcessInfo.processInfo.systemUptime }
            } else if dev.state == .down, let t = lock.withLock({ lastRevive[role] }),
                      ProcessInfo.processInfo.systemUptime - t < 5 {
                // Revived, still connecting: a second press must not kill the newborn.
                note("\(d.title) is starting up", .info)
            } else {
                controller.inject(Fault(.kill, role))
            }
        case .hangOrResume(let d):
            guard !busy else { return note("nodes are restarting: try again in a moment", .warning) }
            let role: Role = d == .master ? .master : .worker
            let dev = controller.snapshot().device(role)
            if dev.state == .hung {
                controller.inject(Fault(.resume, role))
            } else if dev.pid != nil {
                controller.inject(Fault(.hang, role))
            } else {
                note("\(d.title) is not running: m/w revives it", .warning)
            }
        case .toggleMode:
            let running = controller.snapshot().runningMode
            controller.setMode(running == .ha ? .ht : .ha)
        case .autoMode:
            controller.setMode(.auto)
        case .selectKind(let k):
            guard !busy else { return }
            switchKind(to: k)
        case .rateUp, .rateDown:
            let c = controller.snapshot()
            controller.setRate(Self.nextRate(current: c.rate, measured: c.lastSample?.throughput ?? 0,
                                             up: action == .rateUp))
        default:
            break
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
    /// dashboard's thread, so the screen keeps drawing meanwhile.
    private func switchKind(to kind: DashboardKind) {
        guard let mk = ModelKind(rawValue: kind.rawValue), mk != controller.kind else { return }
        let thread = Thread { [weak self] in
            guard let self else { return }
            do {
                try self.controller.setKind(mk)
            } catch {
                self.logger.error("switching to \(kind.rawValue) failed: \(error)")
                self.note("switching to \(kind.rawValue) failed: \(error)", .failure)
            }
            self.lock.withLock { self.kindSwitch = nil }
        }
        lock.withLock { kindSwitch = (kind, thread) }
        thread.start()
    }

    // MARK: recording

    func setSessionLog(path: String?) throws {
        let c = path == nil ? nil : controller.snapshot()  // before taking `lock` (see `note`)
        // The file the nodes announced they loaded; before any handshake, the file they will load.
        let sha = c.map { $0.weightsSHA256 ?? (try? ModelFile.load(path: $0.weightsPath).sha256) ?? "" } ?? ""
        lock.lock(); defer { lock.unlock() }
        try? sessionLog?.close()
        sessionLog = nil
        guard let path, let c else { return }
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let h = FileHandle(forWritingAtPath: path) else {
            throw DemoError("cannot create the session log \(path)")
        }
        sessionLog = h
        let header = SessionHeader(kind: c.kind, mode: c.modeSetting, rate: c.rate, duration: nil,
                                   faults: "", weightsSHA256: sha,
                                   extra: [("source", "fluid demo"), ("weights", .string(c.weightsPath)),
                                           ("started_at", .number(c.t, digits: 3))])
        writeLog(header.json.serialized())
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
        let switching = kindSwitch?.thread
        lock.unlock()
        // A kind switch in progress finishes (or times out) before the nodes are stopped.
        while let t = switching, t.isExecuting { usleep(20_000) }
        let summary = controller.stop(drainTimeout: 3)
        lock.lock()
        writeLog(summary.json.serialized())
        try? sessionLog?.close()
        sessionLog = nil
        lock.unlock()
        logger.info("demo stopped: \(summary.json.serialized())")
        let acc = summary.accuracy.map { String(format: "%.2f %%", $0 * 100) } ?? "–"
        summaryLine = "sent \(summary.sent), answered \(summary.answered) (unavailable \(summary.unavailable)), "
            + "lost \(summary.lost), accuracy \(acc), \(summary.failovers.count) failover(s)"
    }
}

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
