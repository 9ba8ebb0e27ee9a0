@_exported import FluidLog
import FluidModel
import Foundation

// The JSON Lines session log (docs/cli.md): one header, then samples and events with `t` in
// seconds since start, then a summary. The same lines go to stdout (`run --headless`) and
// to `--log` files; writers flush per line so a crash leaves a valid prefix. FluidLog
// holds the format's name and version, JSONValue and the reader (`SessionLogParser`).

public struct SessionHeader: Sendable {
    public var kind: ModelKind
    public var mode: ModeSetting
    public var rate: Double?
    public var duration: Double?
    public var faults: String
    public var weightsSHA256: String
    /// `fluid run` or `fluid demo`: one header schema for both.
    public var source: String
    /// Wall-clock time of `t` = 0.
    public var startedAt: Date
    /// `t` at which this file starts (a demo recording may start late).
    public var recordingFrom: Double
    public var extra: [(String, JSONValue)]

    public init(kind: ModelKind, mode: ModeSetting, rate: Double?, duration: Double?, faults: String,
                weightsSHA256: String, source: String = "fluid run", startedAt: Date = Date(),
                recordingFrom: Double = 0, extra: [(String, JSONValue)] = []) {
        self.kind = kind; self.mode = mode; self.rate = rate; self.duration = duration
        self.faults = faults; self.weightsSHA256 = weightsSHA256; self.source = source
        self.startedAt = startedAt; self.recordingFrom = recordingFrom; self.extra = extra
    }

    public var json: JSONValue {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return .object([("type", "header"), ("format", .string(SessionLog.format)), ("version", .int(SessionLog.version)),
                 ("kind", .string(kind.rawValue)), ("mode", .string(mode.rawValue)),
                 ("rate", rate.map { .number($0, digits: 1) } ?? .null),
                 ("duration", duration.map { .number($0, digits: 3) } ?? .null),
                 ("faults", .string(faults)), ("weights_sha256", .string(weightsSHA256)),
                 ("source", .string(source)), ("started_at", .string(iso.string(from: startedAt))),
                 ("recording_from", .number(recordingFrom, digits: 3))] + extra)
    }
}

public struct DeviceSample: Sendable, Equatable {
    public var state: DeviceState
    /// Images this device computed in the last second (its share of each image; in HA
    /// both devices compute every image).
    public var imagesPerSecond: Double
    /// Milliseconds since its last heartbeat (nil when not connected).
    public var heartbeatAgeMs: Double?
    /// Bytes it sent to / received from its peer device (cumulative, from its heartbeats).
    public var peerBytesOut: UInt64
    public var peerBytesIn: UInt64
    public var pid: Int32?
    /// Predictions the source received from this device in the last second (its own
    /// answers; in a joint plan the Master answers for both).
    public var answersPerSecond: Double
    /// Over this device's own answers in the last second (nil when it answered none).
    public var latencyP50Ms: Double?
    public var latencyP99Ms: Double?
    /// `SLOW ×K` (issue 14): K when the device's measured speed is K× below its model.
    public var slowFactor: Double?

    public init(state: DeviceState, imagesPerSecond: Double = 0, heartbeatAgeMs: Double? = nil,
                peerBytesOut: UInt64 = 0, peerBytesIn: UInt64 = 0, pid: Int32? = nil,
                answersPerSecond: Double = 0, latencyP50Ms: Double? = nil, latencyP99Ms: Double? = nil) {
        self.state = state; self.imagesPerSecond = imagesPerSecond; self.heartbeatAgeMs = heartbeatAgeMs
        self.peerBytesOut = peerBytesOut; self.peerBytesIn = peerBytesIn; self.pid = pid
        self.answersPerSecond = answersPerSecond; self.latencyP50Ms = latencyP50Ms; self.latencyP99Ms = latencyP99Ms
    }

    public var json: JSONValue {
        func num(_ v: Double?, _ digits: Int) -> JSONValue { v.map { .number($0, digits: digits) } ?? .null }
        var o: [(String, JSONValue)] = [("state", .string(state.rawValue))]
        o.append(("img_s", .number(imagesPerSecond, digits: 1)))
        o.append(("answers_s", .number(answersPerSecond, digits: 1)))
        o.append(("latency_p50_ms", num(latencyP50Ms, 2)))
        o.append(("latency_p99_ms", num(latencyP99Ms, 2)))
        o.append(("heartbeat_age_ms", num(heartbeatAgeMs, 1)))
        o.append(("peer_bytes_out_total", .int(Int(clamping: peerBytesOut))))
        o.append(("peer_bytes_in_total", .int(Int(clamping: peerBytesIn))))
        o.append(("pid", pid.map { .int(Int($0)) } ?? .null))
        if let k = slowFactor { o.append(("slow", .number(k, digits: 2))) }
        return .object(o)
    }
}

/// One per second.
public struct Sample: Sendable, Equatable {
    public var t: Double
    /// Predictions answered in the last second.
    public var throughput: Double
    /// Over the last second's predictions (nil when there were none).
    public var accuracy: Double?
    /// Unavailable answers in the last second.
    public var unavailablePerSecond: Double
    public var plan: Plan
    public var mode: Mode
    public var master: DeviceSample
    public var worker: DeviceSample
    public var latencyP50Ms: Double?
    public var latencyP99Ms: Double?
    /// Cumulative counters.
    public var sent: Int
    public var answered: Int
    public var outstanding: Int
    /// Bytes the source sent to / received from the nodes in the last second.
    public var sourceBytesOut: UInt64
    public var sourceBytesIn: UInt64
    public var offeredRate: Double?
    /// How well the plan serves (full, degraded, outage).
    public var health: Health
    /// The leader, only while it is up.
    public var leader: Role?
    /// Correct predictions in the last second.
    public var correct: Int
    /// Accuracy over the newest samples holding at least `AccuracyWindow.minimum`
    /// predictions (up to a minute), and how many predictions that is.
    public var accuracyWindow: Double?
    public var accuracyWindowCount: Int
    /// Cumulative predictions and unavailable answers.
    public var predicted: Int
    public var unavailable: Int
    /// Issue 14: who picks the plan and what it expects of the plan served (nil: no runtime).
    public var adaptive: AdaptiveInfo?

    public init(t: Double, throughput: Double, accuracy: Double?, unavailablePerSecond: Double, plan: Plan, mode: Mode,
                master: DeviceSample, worker: DeviceSample, latencyP50Ms: Double?, latencyP99Ms: Double?,
                sent: Int, answered: Int, outstanding: Int, sourceBytesOut: UInt64, sourceBytesIn: UInt64,
                offeredRate: Double?, health: Health = .full, leader: Role? = nil, correct: Int = 0,
                accuracyWindow: Double? = nil, accuracyWindowCount: Int = 0, predicted: Int = 0, unavailable: Int = 0) {
        self.t = t; self.throughput = throughput; self.accuracy = accuracy
        self.unavailablePerSecond = unavailablePerSecond; self.plan = plan; self.mode = mode
        self.master = master; self.worker = worker; self.latencyP50Ms = latencyP50Ms; self.latencyP99Ms = latencyP99Ms
        self.sent = sent; self.answered = answered; self.outstanding = outstanding
        self.sourceBytesOut = sourceBytesOut; self.sourceBytesIn = sourceBytesIn; self.offeredRate = offeredRate
        self.health = health; self.leader = leader; self.correct = correct
        self.accuracyWindow = accuracyWindow; self.accuracyWindowCount = accuracyWindowCount
        self.predicted = predicted; self.unavailable = unavailable
    }

    public func device(_ r: Role) -> DeviceSample { r == .master ? master : worker }

    /// Per-second fields are the bare names of docs/cli.md plus `*_s`; cumulative ones end in `_total`.
    public var json: JSONValue {
        func num(_ v: Double?, _ digits: Int) -> JSONValue { v.map { .number($0, digits: digits) } ?? .null }
        // A second of calibration (full load, plans pinned one after another: not what the
        // session serves) is its own record type; readers of samples skip it.
        let type: JSONValue = adaptive?.calibrating == true ? "calibration" : "sample"
        var o: [(String, JSONValue)] = [("type", type), ("t", .number(t, digits: 3))]
        o.append(("throughput", .number(throughput, digits: 1)))
        o.append(("accuracy", num(accuracy, 4)))
        o.append(("unavailable", .number(unavailablePerSecond, digits: 1)))
        o.append(("correct_s", .int(correct)))
        o.append(("plan", .string(plan.rawValue)))
        o.append(("health", .string(health.rawValue)))
        o.append(("leader", leader.map { .string($0.rawValue) } ?? .null))
        o.append(("mode", .string(mode.rawValue)))
        o.append(("accuracy_window", num(accuracyWindow, 4)))
        o.append(("accuracy_window_n", .int(accuracyWindowCount)))
        o.append(("devices", .object([("master", master.json), ("worker", worker.json)])))
        o.append(("latency_p50_ms", num(latencyP50Ms, 2)))
        o.append(("latency_p99_ms", num(latencyP99Ms, 2)))
        o.append(("sent_total", .int(sent)))
        o.append(("answered_total", .int(answered)))
        o.append(("predicted_total", .int(predicted)))
        o.append(("unavailable_total", .int(unavailable)))
        o.append(("outstanding", .int(outstanding)))
        o.append(("source_bytes_out_s", .int(Int(clamping: sourceBytesOut))))
        o.append(("source_bytes_in_s", .int(Int(clamping: sourceBytesIn))))
        o.append(("offered_rate", num(offeredRate, 1)))
        if let a = adaptive { o.append(("adaptive", a.json)) }
        return .object(o)
    }
}

/// The adaptive runtime's view in a sample: the policy, the plan it wants, and the cost
/// model's capacity and accuracy for the plan served.
public struct AdaptiveInfo: Sendable, Equatable {
    public var policy: String
    public var wanted: Plan?
    public var calibrating: Bool
    public var capacity: Double?
    public var expectedAccuracy: Double?
    public init(policy: String, wanted: Plan?, calibrating: Bool, capacity: Double?, expectedAccuracy: Double?) {
        self.policy = policy; self.wanted = wanted; self.calibrating = calibrating
        self.capacity = capacity; self.expectedAccuracy = expectedAccuracy
    }

    public var json: JSONValue {
        .object([("policy", .string(policy)), ("wanted", wanted.map { .string($0.rawValue) } ?? .null),
                 ("calibrating", .bool(calibrating)), ("model_capacity", capacity.map { .number($0, digits: 0) } ?? .null),
                 ("model_accuracy", expectedAccuracy.map { .number($0, digits: 4) } ?? .null)])
    }
}

extension CostModel {
    /// The model as the session log prints it: per device and sub-network, per joint plan,
    /// the link, the speeds, and for each plan of `menu` its capacity, expected accuracy
    /// and predicted p99 at `offered`.
    public func json(menu: [Plan], offered: Double?) -> JSONValue {
        func rate(_ r: Rate) -> JSONValue {
            .object([("img_s", .number(r.imagesPerSecond, digits: 0)), ("latency_ms", .number(r.latencyMs, digits: 2)),
                     ("origin", .string(r.origin.rawValue))])
        }
        var devices: [(String, JSONValue)] = []
        for d in Role.allCases {
            guard let m = solo[d], !m.isEmpty else { continue }
            devices.append((d.rawValue, .object(Subnet.all.compactMap { s in m[s].map { (s.name, rate($0)) } })))
        }
        var plans: [JSONValue] = []
        for p in menu {
            var o: [(String, JSONValue)] = [("plan", .string(p.rawValue))]
            o.append(("capacity", capacity(p).map { .number($0, digits: 0) } ?? .null))
            o.append(("accuracy", accuracy(p).map { .number($0, digits: 4) } ?? .null))
            if let r = offered, let x = predictedP99Ms(p, offered: r) { o.append(("p99_ms", x.isFinite ? .number(x, digits: 1) : .null)) }
            plans.append(.object(o))
        }
        return .object([
            ("devices", .object(devices)),
            ("joint", .object(Plan.allCases.compactMap { p in joint[p].map { (p.rawValue, rate($0)) } })),
            ("link", link.map { .object([("rtt_ms", .number($0.rttMs, digits: 2)),
                                         ("mbit", $0.bandwidthMbit.map { .number($0, digits: 1) } ?? .null)]) } ?? .null),
            ("speed", .object(Role.allCases.compactMap { d in speed[d].map { (d.rawValue, .number($0, digits: 3)) } })),
            ("plans", .array(plans)),
        ])
    }
}

/// Accuracy over enough predictions to mean something: a one-second window at a low
/// rate holds a few dozen images and jumps by whole percents.
public enum AccuracyWindow {
    /// Predictions the window must hold before it stops growing.
    public static let minimum = 2_000
    /// Samples it may span at most (one per second).
    public static let maximumSamples = 60

    /// (accuracy, predictions) over the newest samples, given (predicted, correct) per
    /// sample, oldest first.
    public static func over(_ counts: [(predicted: Int, correct: Int)]) -> (accuracy: Double?, count: Int) {
        var n = 0, c = 0
        for x in counts.suffix(maximumSamples).reversed() {
            n += x.predicted; c += x.correct
            if n >= minimum { break }
        }
        return (n > 0 ? Double(c) / Double(n) : nil, n)
    }
}

/// Something that happened, at `t`.
public struct SessionEvent: Sendable, Equatable {
    public enum Kind: Equatable, Sendable {
        /// A fault was injected (by the user or the SPEC).
        case fault(Fault)
        /// `cause` is the injected fault's action when one preceded it ("kill", "hang"),
        /// else the detector's cause; `detectedBy` is "connection-closed" or "heartbeat-timeout".
        case deviceDown(Role, cause: String, detectedBy: String, detectMs: Double?)
        case deviceUp(Role, sinceFaultMs: Double?)
        /// `epoch`: the leader's plan epoch when the plan served is exactly that plan, nil
        /// for a combination or a part of plans (docs/protocol.md).
        case plan(Plan, reason: String, epoch: UInt64?, leader: Role?, sinceFaultMs: Double?)
        case mode(ModeSetting, running: Mode, reason: String)
        /// The cluster restarted on another kind's weight file (its SHA-256; "" if unreadable).
        case kind(ModelKind, weightsSHA256: String)
        case message(String)
        /// The adaptive runtime asks the leader for `wanted` (nil: the failure table), with
        /// the reason and the figures that decided it (issue 14).
        case adapt(wanted: Plan?, policy: String, reason: String, numbers: [String: Double])
        /// A device's measured speed changed: `factor` K for `SLOW ×K`, nil when normal again.
        case speed(Role, factor: Double?, reason: String)
        /// The cost model (after calibration, then every few seconds), with the menu's plans.
        case model(CostModel, menu: [Plan], offered: Double?)
    }

    public var t: Double
    public var kind: Kind
    public init(t: Double, _ kind: Kind) { self.t = t; self.kind = kind }

    public var json: JSONValue {
        var o: [(String, JSONValue)] = [("type", "event"), ("t", .number(t, digits: 3))]
        func ms(_ x: Double?) -> JSONValue { x.map { .number($0, digits: 1) } ?? .null }
        switch kind {
        case .fault(let f):
            o += [("event", "fault"), ("action", .string(f.action.rawValue)), ("device", .string(f.device.rawValue))]
            if let l = f.link { o.append(("link", .string(l.rawValue))) }
            if let k = f.factor { o.append(("factor", .number(k, digits: 2))) }
        case .deviceDown(let d, let cause, let by, let detect):
            o += [("event", "device-down"), ("device", .string(d.rawValue)), ("cause", .string(cause)),
                  ("detected_by", .string(by)), ("detect_ms", ms(detect))]
        case .deviceUp(let d, let since):
            o += [("event", "device-up"), ("device", .string(d.rawValue)), ("since_fault_ms", ms(since))]
        case .plan(let p, let reason, let epoch, let leader, let since):
            o += [("event", "plan"), ("plan", .string(p.rawValue)), ("reason", .string(reason)),
                  ("epoch", epoch.map { .int(Int($0)) } ?? .null), ("leader", leader.map { .string($0.rawValue) } ?? .null),
                  ("since_fault_ms", ms(since))]
        case .mode(let setting, let running, let reason):
            o += [("event", "mode"), ("mode", .string(setting.rawValue)), ("running", .string(running.rawValue)),
                  ("reason", .string(reason))]
        case .kind(let k, let sha):
            o += [("event", "kind"), ("kind", .string(k.rawValue)), ("weights_sha256", .string(sha))]
        case .message(let m):
            o += [("event", "message"), ("message", .string(m))]
        case .adapt(let wanted, let policy, let reason, let numbers):
            o += [("event", "adapt"), ("wanted", wanted.map { .string($0.rawValue) } ?? .null), ("policy", .string(policy)),
                  ("reason", .string(reason)),
                  ("numbers", .object(numbers.keys.sorted().map { ($0, .number(numbers[$0]!, digits: 4)) }))]
        case .speed(let d, let factor, let reason):
            o += [("event", "speed"), ("device", .string(d.rawValue)), ("state", .string(factor == nil ? "normal" : "slow")),
                  ("factor", factor.map { .number($0, digits: 2) } ?? .null), ("reason", .string(reason))]
        case .model(let m, let menu, let offered):
            o += [("event", "model"), ("model", m.json(menu: menu, offered: offered))]
        }
        return .object(o)
    }
}

/// One device failure as the source measured it.
public struct Failover: Sendable, Equatable {
    public var device: Role
    public var cause: String
    /// Fault → device declared down.
    public var detectMs: Double?
    /// Fault → first answer after the device was declared down.
    public var resumeMs: Double?
    public init(device: Role, cause: String, detectMs: Double?, resumeMs: Double?) {
        self.device = device; self.cause = cause; self.detectMs = detectMs; self.resumeMs = resumeMs
    }
    public var json: JSONValue {
        .object([("device", .string(device.rawValue)), ("cause", .string(cause)),
                 ("detect_ms", detectMs.map { .number($0, digits: 1) } ?? .null),
                 ("resume_ms", resumeMs.map { .number($0, digits: 1) } ?? .null)])
    }
}

/// A revived or resumed device brought the larger plan back.
public struct Recovery: Sendable, Equatable {
    public var device: Role
    public var action: String
    /// revive/resume → the plan with both devices announced.
    public var redeployMs: Double
    public var plan: Plan
    public init(device: Role, action: String, redeployMs: Double, plan: Plan) {
        self.device = device; self.action = action; self.redeployMs = redeployMs; self.plan = plan
    }
    public var json: JSONValue {
        .object([("device", .string(device.rawValue)), ("action", .string(action)),
                 ("redeploy_ms", .number(redeployMs, digits: 1)), ("plan", .string(plan.rawValue))])
    }
}

public struct SessionSummary: Sendable, Equatable {
    public var duration: Double
    public var sent: Int
    public var answered: Int
    public var predicted: Int
    public var unavailable: Int
    public var correct: Int
    public var duplicates: Int
    public var redispatched: Int
    public var failovers: [Failover]
    public var recoveries: [Recovery]
    /// CPU seconds of the source process ÷ wall seconds (the source shares the cores).
    public var sourceCPUShare: Double?
    /// Requests still waiting for an answer (0 after the run drained; a recording
    /// stopped mid-run has some in flight, which are not lost).
    public var outstanding: Int = 0

    public init(duration: Double, sent: Int, answered: Int, predicted: Int, unavailable: Int, correct: Int,
                duplicates: Int, redispatched: Int, failovers: [Failover], recoveries: [Recovery], sourceCPUShare: Double?,
                outstanding: Int = 0) {
        self.outstanding = outstanding
        self.duration = duration; self.sent = sent; self.answered = answered; self.predicted = predicted
        self.unavailable = unavailable; self.correct = correct; self.duplicates = duplicates
        self.redispatched = redispatched; self.failovers = failovers; self.recoveries = recoveries
        self.sourceCPUShare = sourceCPUShare
    }

    /// sent − answered after draining (must be 0); mid-run, what is not in flight either.
    public var lost: Int { sent - answered - outstanding }
    public var accuracy: Double? { predicted > 0 ? Double(correct) / Double(predicted) : nil }
    /// Predictions per second over the whole run.
    public var throughput: Double { duration > 0 ? Double(predicted) / duration : 0 }

    public var json: JSONValue {
        .object([("type", "summary"), ("duration", .number(duration, digits: 3)),
                 ("sent", .int(sent)), ("answered", .int(answered)), ("predicted", .int(predicted)),
                 ("unavailable", .int(unavailable)), ("lost", .int(lost)), ("outstanding", .int(outstanding)),
                 ("correct", .int(correct)),
                 ("accuracy", accuracy.map { .number($0, digits: 4) } ?? .null),
                 ("throughput", .number(throughput, digits: 1)),
                 ("duplicates", .int(duplicates)), ("redispatched", .int(redispatched)),
                 ("failovers", .array(failovers.map(\.json))), ("recoveries", .array(recoveries.map(\.json))),
                 ("source_cpu_share", sourceCPUShare.map { .number($0, digits: 3) } ?? .null)])
    }
}
