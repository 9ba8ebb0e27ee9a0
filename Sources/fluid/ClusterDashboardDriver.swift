import FluidCluster
import FluidDashboard
import FluidModel
import FluidTransport
import Foundation
import Logging
import NIOConcurrencyHelpers

/// Adapter: FluidTransport's `ClusterController` ⇄ the dashboard's `DashboardDriver`.
///
/// Keys become controller calls (faults with real signals, mode, kind, rate); the
/// controller's snapshot becomes a `DashboardSnapshot`. Events and samples arrive on
/// the controller's loop (`onEvent`/`onSample`): they are numbered and kept here
/// under a lock, appended to the session log while recording, and read by the
/// dashboard loop's thread.
final class ClusterDashboardDriver: DashboardDriver, Sendable {
    private let controller: ClusterController
    private let logger: Logger
    /// Everything that changes, behind one lock: the controller's loop writes, the
    /// dashboard's thread reads.
    private struct State {
        var events: [DashboardEvent] = []
        var sequence = 0
        var accuracyHistory: [Double] = []
        var masterHistory: [Double] = []
        var workerHistory: [Double] = []
        var unavailableHistory: [Double] = []
        var throughputHistory: [Double] = []
        var planReason = ""
        var sessionLog: FileHandle?
        var failureText: String?
        var intents = FaultIntents()
        var kinds = KindQueue()
        var kindSwitch: Task<Void, Never>?
        var messages: [String] = []
        /// `g`, `[`, `]`: the goal numbers last used.
        var dial = GoalDial()
        /// The policy the keys last asked for, in the runtime's words, and when: the
        /// controller applies it on its loop, so `g g` pressed fast steps twice from it.
        var askedPolicy: (words: String, at: Double)?
        /// Devices that went down without a fault of ours (cleared when they come back).
        var unexpectedlyDown: Set<Role> = []
        var stopped = false
        /// Set by `shutdown()`: one line for the user once the terminal is back.
        var summaryLine: String?

        /// Appends one line (flushed: a crash leaves a valid prefix).
        mutating func writeLog(_ line: String, logger: Logger) {
            guard let h = sessionLog else { return }
            do { try h.write(contentsOf: Data((line + "\n").utf8)) } catch {
                logger.error("session log write failed: \(error); recording stopped")
                try? h.close()
                sessionLog = nil
            }
        }

        mutating func closeLog() {
            try? sessionLog?.close()
            sessionLog = nil
        }
    }
    private let state = NIOLockedValueBox(State())
    /// One line for the user once the terminal is back (set by `shutdown()`).
    var summaryLine: String? { state.withLockedValue { $0.summaryLine } }

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
    init(kind: ModelKind, mode: ModeSetting, policy: (plan: Plan?, goal: Goal?) = (nil, nil), rate: Double?, modelsDirectory: String,
         dataDirectory: String?, nodeLogDirectory: String, tlsDirectory: String? = nil, logger: Logger) throws {
        self.logger = logger
        guard let dir = dataDirectory ?? MNIST.defaultDirectory() else {
            let tried = MNIST.candidateDirectories().joined(separator: ", ")
            throw DemoError("no MNIST data found (tried \(tried)); run `make data` or pass --data DIR / set MNIST_DIR")
        }
        let testSet = try MNIST.load(directory: dir, split: .test)
        var config = ClusterConfig(kind: kind, testSet: testSet, logger: logger)
        config.mode = mode
        (config.plan, config.goal) = policy
        config.rate = rate
        config.weightsDirectory = modelsDirectory
        // A node that cannot load its weights exits with the reason in a log the user
        // does not see: load the file here first, so the reason is the error message.
        let weights = config.weightsPath(for: kind)
        do { _ = try ModelFile.load(path: weights) } catch {
            throw DemoError("cannot start the nodes on \(weights): \(error)")
        }
        config.nodeOutput = .directory(nodeLogDirectory)
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

    private func received(_ e: SessionEvent) {
        let line = e.json.serialized()
        state.withLockedValue { st in
            st.writeLog(line, logger: logger)
            st.sequence += 1
            guard let parsed = SessionLogParser.event(fromJSONLine: line) else { return }
            var d = SessionEventText.dashboardEvent(parsed, sequence: st.sequence)
            switch e.kind {
            case .plan(_, let reason, _, _, _):
                st.planReason = reason
            case .deviceDown(let role, let cause, _, _) where !Self.expectedCauses.contains(cause) && !st.stopped:
                // Not one of ours: a node crashed or exited by itself. The cluster fails
                // over as it would for a fault; if no node is left, the demo stops.
                d.text = "\(role.title) stopped unexpectedly · " + d.text
                d.severity = .failure
                st.unexpectedlyDown.insert(role)
                if st.unexpectedlyDown.count == 2, !st.kinds.busy {
                    st.failureText = "both nodes stopped unexpectedly (see the node logs)"
                }
            case .deviceUp(let role, _):
                st.unexpectedlyDown.remove(role)
            default: break
            }
            st.events.append(d)
            if st.events.count > 500 { st.events.removeFirst(st.events.count - 500) }
        }
    }

    private func received(_ s: Sample) {
        state.withLockedValue { st in
            st.writeLog(s.json.serialized(), logger: logger)
            if let a = s.accuracy { Self.append(&st.accuracyHistory, a) }
            Self.append(&st.throughputHistory, s.throughput)
            Self.append(&st.masterHistory, s.master.answersPerSecond)
            Self.append(&st.workerHistory, s.worker.answersPerSecond)
            Self.append(&st.unavailableHistory, s.unavailablePerSecond)
        }
    }

    private static func append(_ xs: inout [Double], _ x: Double) {
        xs.append(x)
        if xs.count > Self.historyLength { xs.removeFirst(xs.count - Self.historyLength) }
    }

    /// A note of our own in the event log (kind switches, errors).
    private func note(_ text: String, _ severity: EventSeverity = .info) {
        let t = controller.snapshot().t
        state.withLockedValue { st in
            st.sequence += 1
            st.events.append(DashboardEvent(sequence: st.sequence, time: t, text: text, severity: severity))
        }
    }

    /// A line for the status bar (the loop takes it on its next frame).
    private func tell(_ text: String) {
        state.withLockedValue { $0.messages.append(text) }
    }

    func takeMessage() -> String? {
        state.withLockedValue { $0.messages.isEmpty ? nil : $0.messages.removeFirst() }
    }

    func snapshot() -> DashboardSnapshot {
        let (stopped, events, reason, kindStatus, histories) = state.withLockedValue { st in
            (st.stopped, st.events, st.planReason, st.kinds.status,
             (st.accuracyHistory, st.throughputHistory, st.masterHistory, st.workerHistory, st.unavailableHistory))
        }
        guard !stopped else { return DashboardSnapshot(status: "stopping…") }
        let c = controller.snapshot()
        let last = c.lastSample
        var s = DashboardSnapshot(kind: c.kind, mode: c.modeSetting, plan: c.servedPlan,
                                  planReason: reason, sessionTime: c.t)
        s.health = c.health
        s.linkCut = c.linkCut
        if let policy = c.adaptive?.policy {
            s.policyLabel = policy.hasPrefix("goal") ? "GOAL" : policy.hasPrefix("plan") ? "PINNED" : nil
        }
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
        // Issue 14: the cost model's word on the plan served (calibrating first).
        if let a = c.adaptive, a.policy != "table" {
            if a.calibrating { status.append("calibrating \(a.wanted?.rawValue ?? "")") }
            else if let cap = a.capacity { status.append("model: \(c.servedPlan.rawValue) \(Format.si(cap))/s" + (a.expectedAccuracy.map { " \(Format.percent($0))" } ?? "")) }
        }
        if c.rate == nil { status.append("rate: unthrottled") }
        s.status = status.isEmpty ? nil : status.joined(separator: "  ")
        s.planMap = planMap(c)
        return s
    }

    /// The plan view: the kind's menu through the cost model (capacities at the devices'
    /// current speeds, so a slowed device's plans move left), and the goal's line.
    private func planMap(_ c: ClusterSnapshot) -> PlanMap {
        let policy = c.adaptive?.policy ?? "table"
        let model = c.model
        let points = Plan.menu(for: c.kind).map {
            PlanPoint(plan: $0, capacity: model?.capacity($0), accuracy: model?.accuracy($0))
        }
        // The policy's words carry the goal and its number (it may have been set by key).
        let constraint = PlanMap.constraint(policy: policy, offered: c.rate)
        var words = policy
        if policy == "auto" {
            words = "auto (HA or HT)"
        } else if policy == "table" {
            words = "table: \(c.runningMode.rawValue.uppercased()) by the failure table, no goal"
        } else if policy.hasPrefix("plan ") {
            words = "pinned " + policy.dropFirst("plan ".count)
        }
        var note: String?
        if c.adaptive?.calibrating == true {
            note = "calibrating: measuring \(c.adaptive?.wanted?.rawValue ?? "the menu")…"
        } else if !points.contains(where: \.isMeasured) {
            note = policy == "table" || policy.hasPrefix("plan")
                ? "no cost model: the policy \(policy) does not calibrate (g sets a goal, a auto mode)"
                : "no cost model yet"
        } else if constraint == nil, policy == "auto" || policy.hasPrefix("goal") {
            note = "unthrottled: no offered rate to draw (+/- set one)"
        }
        // The controller chooses a plan only with headroom below its capacity (kept up to a
        // higher share): the view marks where choosing starts.
        let settings = AdaptiveController.Settings()
        let headroom = policy.hasPrefix("goal slo-p99") ? settings.sloEnterUtilization : settings.enterUtilization
        return PlanMap(points: points, goal: words, constraint: constraint, note: note, headroom: headroom)
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

    var failure: String? { state.withLockedValue { $0.failureText } }

    // MARK: dashboard → controller

    /// What the screen shows of a device's process: running (incl. starting), hung, gone.
    private func observed(_ role: Role) -> DeviceIntent {
        let d = controller.snapshot().device(role)
        if d.pid == nil { return .killed }
        return d.state == .hung ? .hung : .up
    }

    func perform(_ action: DashboardAction) {
        let now = ProcessInfo.processInfo.systemUptime
        let (busy, gone) = state.withLockedValue { ($0.kinds.busy, $0.stopped) }
        if gone { return }
        switch action {
        case .crashOrRevive(let role):
            let seen = observed(role)
            let command = state.withLockedValue { $0.intents.crashOrRevive(role, observed: seen, now: now) }
            if busy {
                tell("\(Self.describe(command)) queued: applied once the nodes have restarted")
            } else {
                carryOut(command)
            }
        case .hangOrResume(let role):
            let seen = observed(role)
            let (command, refusal) = state.withLockedValue { $0.intents.hangOrResume(role, observed: seen, now: now) }
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
            let seen = observed(role)
            if !slowed, seen != .up {
                return tell("\(role.title) is \(seen == .hung ? "hung" : "down"): a slowdown needs it running")
            }
            controller.inject(slowed ? Fault(.unslow, role) : Fault(slow: role, factor: 4))
            tell(slowed ? "\(role.title) back to full speed" : "\(role.title) 4× slower: stopped 90 ms of every 120 ms")
        case .toggleMode:
            let running = controller.snapshot().runningMode
            controller.setMode(running == .ha ? .ht : .ha)
        case .autoMode:
            controller.setMode(.auto)
        case .selectKind(let k):
            let current = controller.kind
            let outcome = state.withLockedValue { $0.kinds.request(k, current: current) }
            switch outcome {
            case .start(let kind): startKindSwitch(to: kind)
            case .queued(let kind): tell("\(kind.title) queued: the nodes are restarting; it follows")
            case .unchanged: tell("already running \(k.title)")
            }
        case .pinPlan(let i):
            let c = controller.snapshot()
            let menu = Plan.menu(for: c.kind)
            guard let at = DashboardUIState.wrap(i, count: menu.count) else { return }
            let plan = menu[at]
            if policy(now: now) == "plan \(plan.rawValue)" {
                unpin(c, now: now)
            } else {
                controller.pin(plan)
                ask("plan \(plan.rawValue)", now: now)
                // Pinned, it is served while its devices live: say which one it waits for.
                let waiting = Role.allCases.filter { r in
                    if case .idle = plan.job(for: r) { return false }
                    return c.device(r).state != .up
                }
                tell("pinned \(plan.rawValue)" + (waiting.isEmpty ? "" : " (waits for the \(waiting.map(\.title).joined(separator: " and ")): not up)"))
            }
        case .unpin:
            let c = controller.snapshot()
            let current = policy(now: now)
            guard current.hasPrefix("plan ") else { return tell("nothing pinned (policy: \(current))") }
            unpin(c, now: now)
        case .cycleGoal:
            let current = GoalChoice(policy: policy(now: now))
            let next = state.withLockedValue { $0.dial.next(after: current) }
            setGoal(next, now: now)
        case .adjustGoal(let up):
            let words = policy(now: now)
            let current = GoalChoice(policy: words)
            guard let next = state.withLockedValue({ $0.dial.adjust(current, up: up) }) else {
                return tell(current == nil ? "no goal to adjust (\(words)): g sets one"
                                           : "goal accuracy has no number: g for throughput or slo-p99")
            }
            if next == current { return tell("goal \(Self.goal(next)): at its limit") }
            setGoal(next, now: now)
        case .rateUp, .rateDown:
            let c = controller.snapshot()
            let next = Self.nextRate(current: c.rate, measured: c.lastSample?.throughput ?? 0, up: action == .rateUp)
            controller.setRate(next)
            tell(next.map { "offered rate \(Int($0)) img/s" } ?? "offered rate: unthrottled (as fast as answered)")
        default:
            break
        }
    }

    // MARK: plan and goal keys (issue 14)

    /// The policy in the runtime's words: the one the keys asked for while the controller
    /// may not have applied it yet (a second), else the one it reports.
    private func policy(now: Double) -> String {
        if let asked = state.withLockedValue({ $0.askedPolicy }), now - asked.at < 1 { return asked.words }
        return controller.snapshot().adaptive?.policy ?? "table"
    }

    private func ask(_ words: String, now: Double) {
        state.withLockedValue { $0.askedPolicy = (words, now) }
    }

    /// The policy the mode gives when no plan is pinned and no goal set (the mode set, not
    /// the one a pin or goal ran: the table then goes back to it).
    private static func modePolicy(_ c: ClusterSnapshot) -> (words: String, shown: String) {
        c.modeSetting == .auto ? ("auto", "mode auto") : ("table", "mode \(c.modeSetting.rawValue.uppercased())")
    }

    private func unpin(_ c: ClusterSnapshot, now: Double) {
        controller.pin(nil)
        let back = Self.modePolicy(c)
        ask(back.words, now: now)
        tell("unpinned: \(back.shown)")
    }

    private func setGoal(_ choice: GoalChoice?, now: Double) {
        let c = controller.snapshot()
        let goal = choice.map(Self.goal)
        controller.setGoal(goal)
        guard let goal else {
            let back = Self.modePolicy(c)
            ask(back.words, now: now)
            return tell("goal off: \(back.shown)")
        }
        ask("goal \(goal)", now: now)
        // The runtime calibrates first when a plan of the menu was never measured.
        let unmeasured = Plan.menu(for: c.kind).contains { c.model?.capacity($0) == nil }
        tell("goal \(goal)" + (unmeasured ? ": calibrating…" : ""))
    }

    static func goal(_ g: GoalChoice) -> Goal {
        switch g {
        case .accuracy: return .accuracy
        case .throughput(let a): return .throughput(minAccuracy: a)
        case .sloP99(let ms): return .sloP99(ms: ms)
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
                next = self.state.withLockedValue { $0.stopped ? nil : $0.kinds.finished(current: current) }
            }
            let reapply = self.state.withLockedValue { $0.stopped ? [] : $0.intents.reapply() }
            for c in reapply {
                self.note("\(Self.describe(c)) again: it was down before the restart", .warning)
                self.carryOut(c)
            }
            self.tell("running \(self.controller.kind.title)")
        }
        state.withLockedValue { $0.kindSwitch = task }
    }

    // MARK: recording

    func setSessionLog(path: String?) throws {
        let c = controller.snapshot()
        if path == nil {
            // A recording that ends says how it ended, like a run does.
            let summary = controller.summaryNow()
            state.withLockedValue { st in
                st.writeLog(summary.json.serialized(), logger: logger)
                st.closeLog()
            }
            return
        }
        guard let path else { return }
        // The file the nodes announced they loaded; before any handshake, the file they will load.
        let sha = c.weightsSHA256 ?? (try? ModelFile.load(path: c.weightsPath).sha256) ?? ""
        let past = controller.eventsSoFar()
        let header = SessionHeader(kind: c.kind, mode: c.modeSetting, rate: c.rate, duration: nil,
                                   faults: "", weightsSHA256: sha, source: "fluid demo",
                                   startedAt: Date().addingTimeInterval(-c.t),
                                   recordingFrom: max(c.t, past.last?.t ?? 0),
                                   extra: [("weights", .string(c.weightsPath))])
        try state.withLockedValue { st in
            st.closeLog()
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let h = FileHandle(forWritingAtPath: path) else {
                throw DemoError("cannot create the session log \(path): \(String(cString: strerror(errno)))")
            }
            st.sessionLog = h
            st.writeLog(header.json.serialized(), logger: logger)
            // The log starts with what happened before the recording did (start-up, faults).
            for e in past { st.writeLog(e.json.serialized(), logger: logger) }
        }
    }

    // MARK: shutdown

    func shutdown() {
        let switching: Task<Void, Never>?? = state.withLockedValue { st in
            if st.stopped { return .none }
            st.stopped = true
            return .some(st.kindSwitch)
        }
        guard let switching else { return }
        // A kind switch in progress finishes (or times out) before the nodes are stopped.
        let c = controller
        let summary = (try? runBlocking { () async -> SessionSummary in
            await switching?.value
            return await c.stop(drainTimeout: 3)
        }) ?? c.summaryNow()
        let acc = summary.accuracy.map { String(format: "%.2f %%", $0 * 100) } ?? "–"
        state.withLockedValue { st in
            st.writeLog(summary.json.serialized(), logger: logger)
            st.closeLog()
            st.summaryLine = "sent \(summary.sent), predictions \(summary.predicted), unavailable \(summary.unavailable), "
                + "lost \(summary.lost), accuracy \(acc), \(summary.failovers.count) failover(s)"
        }
        logger.info("demo stopped: \(summary.json.serialized())")
    }
}

/// Forwards the controller's callbacks to the driver once it exists.
private final class Relay: Sendable {
    private let target = NIOLockedValueBox<ClusterDashboardDriver?>(nil)
    var driver: ClusterDashboardDriver? {
        get { target.withLockedValue { $0 } }
        set { target.withLockedValue { $0 = newValue } }
    }
}

/// Runs async work to its end from a thread that may block — the dashboard's (the main
/// thread) or start-up before curses — never from an event loop or the cooperative pool.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = NIOLockedValueBox<Result<T, Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        let r: Result<T, Error>
        do { r = .success(try await body()) } catch { r = .failure(error) }
        outcome.withLockedValue { $0 = r }
        done.signal()
    }
    done.wait()
    guard let result = outcome.withLockedValue({ $0 }) else { preconditionFailure("signalled without a result") }
    return try result.get()
}

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
