import Foundation

/// Plays a session log through the dashboard: the playback position advances with
/// the clock times the speed; `space` pauses, `+`/`-` double or halve the speed.
/// The snapshot at a position is the last sample at or before it plus every event
/// up to it, so a replay shows what the live dashboard showed.
public final class ReplayDriver: DashboardDriver {
    public let log: SessionLog
    public let name: String
    public private(set) var speed: Double
    public private(set) var paused = false
    private let clock: () -> Double
    /// Playback position at `anchorClock`.
    private var anchorPosition: Double = 0
    private var anchorClock: Double
    private let events: [DashboardEvent]

    public static let speeds: ClosedRange<Double> = 0.125...64
    /// ← / → move the playback position by this many seconds.
    public static let seekStep = 5.0

    public init(log: SessionLog, name: String, speed: Double = 1,
                clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.log = log
        self.name = name
        self.speed = min(max(speed, Self.speeds.lowerBound), Self.speeds.upperBound)
        self.clock = clock
        anchorClock = clock()
        events = log.events.enumerated().map { SessionEventText.dashboardEvent($0.element, sequence: $0.offset + 1) }
    }

    /// Seconds into the session being shown.
    public var position: Double {
        let p = paused ? anchorPosition : anchorPosition + (clock() - anchorClock) * speed
        return min(p, log.duration)
    }

    public var finished: Bool { position >= log.duration }

    public func perform(_ action: DashboardAction) {
        switch action {
        case .togglePause:
            rebase()
            paused.toggle()
        case .replayFaster, .rateUp: setSpeed(speed * 2)
        case .replaySlower, .rateDown: setSpeed(speed / 2)
        case .seekBack: seek(by: -Self.seekStep)
        case .seekForward: seek(by: Self.seekStep)
        default: break
        }
    }

    public func shutdown() {}

    private func setSpeed(_ s: Double) {
        rebase()
        speed = min(max(s, Self.speeds.lowerBound), Self.speeds.upperBound)
    }

    /// Moves the playback position, within the session.
    public func seek(by seconds: Double) {
        rebase()
        anchorPosition = min(max(0, anchorPosition + seconds), log.duration)
    }

    private func rebase() {
        anchorPosition = position
        anchorClock = clock()
    }

    public func snapshot() -> DashboardSnapshot { snapshot(at: position) }

    /// The dashboard state `t` seconds into the session.
    public func snapshot(at t: Double) -> DashboardSnapshot {
        var s = DashboardSnapshot(kind: log.header.kind ?? .fluid, mode: log.header.mode ?? .ha)
        s.sessionTime = t
        // Samples are in time order in a log written live; binary search the last ≤ t.
        let count = upperBound(log.samples.count) { log.samples[$0].t <= t }
        let shown = log.samples.prefix(count)
        let recent = shown.suffix(400)
        s.throughputHistory = recent.map(\.throughput)
        s.accuracyHistory = recent.compactMap(\.accuracy)
        s.masterHistory = recent.map { $0.devices[.master]?.fields["answers_s"]?.double ?? 0 }
        s.workerHistory = recent.map { $0.devices[.worker]?.fields["answers_s"]?.double ?? 0 }
        s.unavailableHistory = recent.map { $0.fields["unavailable"]?.double ?? 0 }
        s.events = Array(events.prefix(upperBound(events.count) { events[$0].time <= t }).suffix(200))
        if let last = shown.last { apply(last, to: &s) }
        applyEvents(upTo: t, to: &s)
        s.planMap = planMap(upTo: t, sample: shown.last, kind: s.kind)
        if count == log.samples.count, t >= log.duration, let summary = log.summary {
            s.counters = summary.counters
        }
        let state = finished ? "finished" : paused ? "paused" : "playing"
        let cut = log.cutLastLine.map { "  last line \($0) cut: ignored" } ?? ""
        s.status = "replay \(state) \(Self.speedText(speed))  \(Format.clock(t))/\(Format.clock(log.duration))\(cut)"
        return s
    }

    static func speedText(_ s: Double) -> String {
        s >= 1 ? String(format: "%g×", s) : String(format: "1/%g×", 1 / s)
    }

    private func apply(_ sample: SessionLog.Sample, to s: inout DashboardSnapshot) {
        let f = sample.fields
        s.plan = sample.plan
        s.health = f["health"]?.string.flatMap(Health.init(rawValue:))
            ?? Health(served: sample.plan, full: sample.plan == .none ? .ha100 : sample.plan)
        s.throughput = sample.throughput
        s.unavailableRate = f["unavailable"]?.double ?? 0
        if let w = f["accuracy_window"]?.double {
            s.accuracy = min(1, max(0, w))
            s.accuracyCount = f["accuracy_window_n"]?.int ?? 0
        } else {
            s.accuracy = sample.accuracy
            s.accuracyCount = 0
        }
        s.offeredRate = f["offered_rate"]?.double
        s.recording = false
        if let sent = f["sent_total"]?.int, let answered = f["answered_total"]?.int {
            s.counters.sent = sent
            s.counters.answered = answered
            s.counters.predicted = f["predicted_total"]?.int ?? 0
            s.counters.unavailable = f["unavailable_total"]?.int ?? 0
            s.counters.inFlight = f["outstanding"]?.int
        }
        let leader = f["leader"]?.string.flatMap(Role.init(rawValue:))
        s.master = device(.master, sample, leader: leader)
        s.worker = device(.worker, sample, leader: leader)
    }

    /// Kind, mode setting and plan reason come from the events up to `t` (the
    /// samples carry the running mode, HA or HT, not the setting).
    private func applyEvents(upTo t: Double, to s: inout DashboardSnapshot) {
        for e in log.events where e.t <= t {
            switch e.event {
            case "kind": if let k = e.fields["kind"]?.string.flatMap(ModelKind.init(rawValue:)) { s.kind = k }
            case "mode": if let m = e.fields["mode"]?.string.flatMap(ModeSetting.init(rawValue:)) { s.mode = m }
            case "plan": s.planReason = e.fields["reason"]?.string ?? s.planReason
            case "fault" where e.fields["link"]?.string == "master-worker":
                s.linkCut = e.fields["action"]?.string == "cut"
            default: break
            }
        }
    }

    /// The plan view from the latest `model` event at or before `t` (its `plans`: each
    /// plan's capacity and expected accuracy as the live cost model saw them), the policy
    /// and offered rate from the sample shown. nil-free: a log without a model says so.
    private func planMap(upTo t: Double, sample: SessionLog.Sample?, kind: ModelKind) -> PlanMap {
        let policy = sample?.fields["adaptive"]?["policy"]?.string ?? "table"
        let offered = sample?.fields["offered_rate"]?.double
        let model = log.events.last { $0.t <= t && $0.event == "model" }
        guard let plans = model?.fields["model"]?["plans"]?.array else {
            let none = Plan.menu(for: kind).map { PlanPoint(plan: $0, capacity: nil, accuracy: nil) }
            return PlanMap(points: none, goal: policy, note: "no cost model in this recording"
                           + (log.events.contains { $0.event == "model" } ? " yet (one comes later)" : ""))
        }
        let points = plans.compactMap { o -> PlanPoint? in
            guard let p = o["plan"]?.string.flatMap(Plan.named) else { return nil }
            return PlanPoint(plan: p, capacity: o["capacity"]?.double, accuracy: o["accuracy"]?.double)
        }
        return PlanMap(points: points, goal: policy, constraint: PlanMap.constraint(policy: policy, offered: offered))
    }

    private func device(_ name: Role, _ sample: SessionLog.Sample, leader: Role?) -> DeviceStatus {
        guard let d = sample.devices[name] else { return DeviceStatus(name: name, state: .down) }
        let f = d.fields
        let live = d.state == .up
        func num(_ key: String) -> Double? { f[key]?.double.flatMap { $0.isFinite ? $0 : nil } }
        func bytes(_ key: String) -> UInt64? {
            f[key]?.double.flatMap { $0 >= 0 && $0 < 1.8e19 ? UInt64($0) : nil }
        }
        var p50 = num("latency_p50_ms"), p99 = num("latency_p99_ms")
        // In a joint plan the Master answers for both: the Worker shows the joint latency.
        if p50 == nil, name == .worker, sample.plan.isJoint {
            p50 = sample.devices[.master]?.fields["latency_p50_ms"]?.double
            p99 = sample.devices[.master]?.fields["latency_p99_ms"]?.double
        }
        var status = DeviceStatus(name: name, state: d.state,
                            isLeader: live && leader == name,
                            job: live ? sample.plan.job(for: name) : .idle,
                            imagesPerSecond: num("img_s"), answersPerSecond: num("answers_s"),
                            latencyP50ms: p50, latencyP99ms: p99,
                            heartbeatAgeMs: num("heartbeat_age_ms"),
                            bytesSent: bytes("peer_bytes_out_total"),
                            bytesReceived: bytes("peer_bytes_in_total"),
                            pid: f["pid"]?.int.flatMap { Int32(exactly: $0) })
        // `SLOW ×K` as the source measured it (issue 14), when the sample has it.
        status.slowFactor = num("slow").flatMap { $0 > 1 ? $0 : nil }
        return status
    }

    /// The first index in 0..<n where `isBefore` turns false (it must be monotone).
    private func upperBound(_ n: Int, _ isBefore: (Int) -> Bool) -> Int {
        var lo = 0, hi = n
        while lo < hi {
            let mid = (lo + hi) / 2
            if isBefore(mid) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
