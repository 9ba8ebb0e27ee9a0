@_exported import FluidLog
import FluidModel

// The JSON Lines session log (DESIGN §8): one header, then samples and events with `t` in
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
    public var extra: [(String, JSONValue)]

    public init(kind: ModelKind, mode: ModeSetting, rate: Double?, duration: Double?, faults: String,
                weightsSHA256: String, extra: [(String, JSONValue)] = []) {
        self.kind = kind; self.mode = mode; self.rate = rate; self.duration = duration
        self.faults = faults; self.weightsSHA256 = weightsSHA256; self.extra = extra
    }

    public var json: JSONValue {
        .object([("type", "header"), ("format", .string(SessionLog.format)), ("version", .int(SessionLog.version)),
                 ("kind", .string(kind.rawValue)), ("mode", .string(mode.rawValue)),
                 ("rate", rate.map { .number($0, digits: 1) } ?? .null),
                 ("duration", duration.map { .number($0, digits: 3) } ?? .null),
                 ("faults", .string(faults)), ("weights_sha256", .string(weightsSHA256))] + extra)
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

    public init(state: DeviceState, imagesPerSecond: Double = 0, heartbeatAgeMs: Double? = nil,
                peerBytesOut: UInt64 = 0, peerBytesIn: UInt64 = 0, pid: Int32? = nil) {
        self.state = state; self.imagesPerSecond = imagesPerSecond; self.heartbeatAgeMs = heartbeatAgeMs
        self.peerBytesOut = peerBytesOut; self.peerBytesIn = peerBytesIn; self.pid = pid
    }

    public var json: JSONValue {
        .object([("state", .string(state.rawValue)), ("img_s", .number(imagesPerSecond, digits: 1)),
                 ("heartbeat_age_ms", heartbeatAgeMs.map { .number($0, digits: 1) } ?? .null),
                 ("peer_bytes_out", .int(Int(peerBytesOut))), ("peer_bytes_in", .int(Int(peerBytesIn))),
                 ("pid", pid.map { .int(Int($0)) } ?? .null)])
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

    public init(t: Double, throughput: Double, accuracy: Double?, unavailablePerSecond: Double, plan: Plan, mode: Mode,
                master: DeviceSample, worker: DeviceSample, latencyP50Ms: Double?, latencyP99Ms: Double?,
                sent: Int, answered: Int, outstanding: Int, sourceBytesOut: UInt64, sourceBytesIn: UInt64,
                offeredRate: Double?) {
        self.t = t; self.throughput = throughput; self.accuracy = accuracy
        self.unavailablePerSecond = unavailablePerSecond; self.plan = plan; self.mode = mode
        self.master = master; self.worker = worker; self.latencyP50Ms = latencyP50Ms; self.latencyP99Ms = latencyP99Ms
        self.sent = sent; self.answered = answered; self.outstanding = outstanding
        self.sourceBytesOut = sourceBytesOut; self.sourceBytesIn = sourceBytesIn; self.offeredRate = offeredRate
    }

    public var json: JSONValue {
        .object([("type", "sample"), ("t", .number(t, digits: 3)), ("throughput", .number(throughput, digits: 1)),
                 ("accuracy", accuracy.map { .number($0, digits: 4) } ?? .null),
                 ("unavailable", .number(unavailablePerSecond, digits: 1)),
                 ("plan", .string(plan.rawValue)), ("mode", .string(mode.rawValue)),
                 ("devices", .object([("master", master.json), ("worker", worker.json)])),
                 ("latency_p50_ms", latencyP50Ms.map { .number($0, digits: 2) } ?? .null),
                 ("latency_p99_ms", latencyP99Ms.map { .number($0, digits: 2) } ?? .null),
                 ("sent", .int(sent)), ("answered", .int(answered)), ("outstanding", .int(outstanding)),
                 ("source_bytes_out", .int(Int(sourceBytesOut))), ("source_bytes_in", .int(Int(sourceBytesIn))),
                 ("offered_rate", offeredRate.map { .number($0, digits: 1) } ?? .null)])
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
        case plan(Plan, reason: String, epoch: UInt64, leader: Role?, sinceFaultMs: Double?)
        case mode(ModeSetting, running: Mode, reason: String)
        /// The cluster restarted on another kind's weight file (its SHA-256; "" if unreadable).
        case kind(ModelKind, weightsSHA256: String)
        case message(String)
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
        case .deviceDown(let d, let cause, let by, let detect):
            o += [("event", "device-down"), ("device", .string(d.rawValue)), ("cause", .string(cause)),
                  ("detected_by", .string(by)), ("detect_ms", ms(detect))]
        case .deviceUp(let d, let since):
            o += [("event", "device-up"), ("device", .string(d.rawValue)), ("since_fault_ms", ms(since))]
        case .plan(let p, let reason, let epoch, let leader, let since):
            o += [("event", "plan"), ("plan", .string(p.rawValue)), ("reason", .string(reason)),
                  ("epoch", .int(Int(epoch))), ("leader", leader.map { .string($0.rawValue) } ?? .null),
                  ("since_fault_ms", ms(since))]
        case .mode(let setting, let running, let reason):
            o += [("event", "mode"), ("mode", .string(setting.rawValue)), ("running", .string(running.rawValue)),
                  ("reason", .string(reason))]
        case .kind(let k, let sha):
            o += [("event", "kind"), ("kind", .string(k.rawValue)), ("weights_sha256", .string(sha))]
        case .message(let m):
            o += [("event", "message"), ("message", .string(m))]
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

    public init(duration: Double, sent: Int, answered: Int, predicted: Int, unavailable: Int, correct: Int,
                duplicates: Int, redispatched: Int, failovers: [Failover], recoveries: [Recovery], sourceCPUShare: Double?) {
        self.duration = duration; self.sent = sent; self.answered = answered; self.predicted = predicted
        self.unavailable = unavailable; self.correct = correct; self.duplicates = duplicates
        self.redispatched = redispatched; self.failovers = failovers; self.recoveries = recoveries
        self.sourceCPUShare = sourceCPUShare
    }

    /// sent − answered after draining; must be 0.
    public var lost: Int { sent - answered }
    public var accuracy: Double? { predicted > 0 ? Double(correct) / Double(predicted) : nil }
    /// Predictions per second over the whole run.
    public var throughput: Double { duration > 0 ? Double(predicted) / duration : 0 }

    public var json: JSONValue {
        .object([("type", "summary"), ("duration", .number(duration, digits: 3)),
                 ("sent", .int(sent)), ("answered", .int(answered)), ("predicted", .int(predicted)),
                 ("unavailable", .int(unavailable)), ("lost", .int(lost)), ("correct", .int(correct)),
                 ("accuracy", accuracy.map { .number($0, digits: 4) } ?? .null),
                 ("throughput", .number(throughput, digits: 1)),
                 ("duplicates", .int(duplicates)), ("redispatched", .int(redispatched)),
                 ("failovers", .array(failovers.map(\.json))), ("recoveries", .array(recoveries.map(\.json))),
                 ("source_cpu_share", sourceCPUShare.map { .number($0, digits: 3) } ?? .null)])
    }
}
