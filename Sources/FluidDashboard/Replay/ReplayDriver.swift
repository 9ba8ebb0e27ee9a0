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
        default: break
        }
    }

    public func shutdown() {}

    private func setSpeed(_ s: Double) {
        rebase()
        speed = min(max(s, Self.speeds.lowerBound), Self.speeds.upperBound)
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
        s.throughputHistory = shown.suffix(400).map(\.throughput)
        s.accuracyHistory = shown.suffix(400).compactMap(\.accuracy)
        s.events = Array(events.prefix(upperBound(events.count) { events[$0].time <= t }).suffix(200))
        if let last = shown.last { apply(last, to: &s) }
        applyEvents(upTo: t, to: &s)
        if count == log.samples.count, t >= log.duration, let summary = log.summary {
            s.counters = summary.counters
        }
        let state = finished ? "finished" : paused ? "paused" : "playing"
        s.status = "replay \(state) \(Self.speedText(speed))  \(Format.clock(t))/\(Format.clock(log.duration))"
        return s
    }

    static func speedText(_ s: Double) -> String {
        s >= 1 ? String(format: "%g×", s) : String(format: "1/%g×", 1 / s)
    }

    private func apply(_ sample: SessionLog.Sample, to s: inout DashboardSnapshot) {
        let f = sample.fields
        s.plan = sample.plan
        s.throughput = sample.throughput
        s.accuracy = sample.accuracy
        s.offeredRate = f["offered_rate"]?.double ?? f["rate"]?.double
        s.recording = false
        if let sent = f["sent"]?.int, let answered = f["answered"]?.int {
            s.counters.sent = sent
            s.counters.answered = answered
            s.counters.inFlight = f["outstanding"]?.int
        }
        s.master = device(.master, sample)
        s.worker = device(.worker, sample)
    }

    /// Kind, mode setting and plan reason come from the events up to `t` (the
    /// samples carry the running mode, HA or HT, not the setting).
    private func applyEvents(upTo t: Double, to s: inout DashboardSnapshot) {
        var unavailable = 0.0
        for sample in log.samples where sample.t <= t {
            unavailable += sample.fields["unavailable"]?.double ?? 0  // per second, one sample per second
        }
        s.counters.unavailable = Int(unavailable.rounded())
        for e in log.events where e.t <= t {
            switch e.event {
            case "kind": if let k = e.fields["kind"]?.string.flatMap(ModelKind.init(rawValue:)) { s.kind = k }
            case "mode": if let m = e.fields["mode"]?.string.flatMap(ModeSetting.init(rawValue:)) { s.mode = m }
            case "plan": s.planReason = e.fields["reason"]?.string ?? s.planReason
            default: break
            }
        }
    }

    private func device(_ name: Role, _ sample: SessionLog.Sample) -> DeviceStatus {
        guard let d = sample.devices[name] else { return DeviceStatus(name: name, state: .down) }
        let f = d.fields
        let masterUp = sample.devices[.master]?.state == .up
        func num(_ keys: String...) -> Double? { keys.lazy.compactMap { f[$0]?.double }.first }
        func bytes(_ keys: String...) -> UInt64? {
            keys.lazy.compactMap { f[$0]?.double }.first.flatMap { $0 >= 0 && $0 < 1.8e19 ? UInt64($0) : nil }
        }
        // Latency is measured at the source, per request, not per device: show it on
        // the devices that serve requests under the plan.
        let job = d.state == .up ? sample.plan.job(for: name) : .idle
        let serving = job != .idle
        return DeviceStatus(name: name, state: d.state,
                            isLeader: name == .master ? masterUp : !masterUp,
                            job: job,
                            imagesPerSecond: num("img_s", "img_per_s"),
                            latencyP50ms: serving ? sample.fields["latency_p50_ms"]?.double : nil,
                            latencyP99ms: serving ? sample.fields["latency_p99_ms"]?.double : nil,
                            heartbeatAgeMs: num("heartbeat_age_ms"),
                            bytesSent: bytes("peer_bytes_out", "bytes_sent"),
                            bytesReceived: bytes("peer_bytes_in", "bytes_received"),
                            pid: f["pid"]?.int.flatMap { Int32(exactly: $0) })
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
