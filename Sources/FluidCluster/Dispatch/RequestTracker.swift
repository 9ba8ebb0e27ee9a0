import FluidModel

/// The source's ledger: every request id gets exactly one answer (invariant a of
/// docs/cluster.md: a prediction or an explicit *unavailable*, never none, never two).
///
/// An id is *pending* (waiting for a device), *in flight* on one device, or answered.
/// An answer for an id that is not in flight on the device that sent it is not counted:
/// a late answer from a device that was declared dead and resumed, an answer for an id the
/// source had already re-sent elsewhere or expired, or an id a node made up. When a device
/// is declared dead its in-flight ids go back to the front of the queue and are re-sent to
/// whichever device the plan names next. A request outstanding for longer than the
/// deadline is answered *unavailable* by the source itself (invariant d).
///
/// Ids are the source's own counter (0, 1, 2, …), so the ledger is a dense ring indexed
/// by `id - base`: no hashing, and expiry scans from the oldest id. Pure: time is passed in
/// (nanoseconds).
public struct RequestTracker {
    public enum State: Equatable, Sendable { case pending, inFlight(Role) }

    public enum Outcome: Equatable, Sendable {
        /// First answer: count it. `latencyNanos` from submission.
        case accepted(latencyNanos: UInt64)
        /// Already answered, never sent, or not in flight on the device that answered.
        case duplicate
    }

    /// Per-slot state codes (a byte each keeps the ring small).
    static let answeredCode: UInt8 = 0, pendingCode: UInt8 = 1, masterCode: UInt8 = 2, workerCode: UInt8 = 3

    /// Ring of states, submission and (last) send times for ids base ..< nextID.
    var states: [UInt8] = []
    var submitted: [UInt64] = []
    var sentAt: [UInt64] = []
    var head = 0            // ring index of `base`
    var base: UInt64 = 0    // oldest id not yet known to be answered
    public private(set) var nextID: UInt64 = 0

    /// Re-queued ids first (they have waited longest), FIFO; then fresh ids from `freshCursor`.
    var retry: [UInt64] = []
    var retryHead = 0
    var freshCursor: UInt64 = 0

    var inFlightMaster = 0, inFlightWorker = 0
    var pending = 0

    public private(set) var sent = 0
    public private(set) var answered = 0
    public private(set) var predicted = 0
    public private(set) var unavailable = 0
    public private(set) var duplicates = 0
    public private(set) var redispatched = 0
    /// Answered *unavailable* by the source because the deadline passed.
    public private(set) var expired = 0
    /// Of those, answered before they were sent: too old for any device to answer in time.
    public private(set) var shed = 0

    public init() {}

    /// Requests not yet answered.
    public var outstanding: Int { pending + inFlightMaster + inFlightWorker }
    /// Requests waiting for a device.
    public var pendingCount: Int { pending }
    public func inFlight(on device: Role) -> Int { device == .master ? inFlightMaster : inFlightWorker }

    public func state(of id: UInt64) -> State? {
        guard let i = index(of: id) else { return nil }
        switch states[i] {
        case Self.pendingCode: return .pending
        case Self.masterCode: return .inFlight(.master)
        case Self.workerCode: return .inFlight(.worker)
        default: return nil
        }
    }

    func index(of id: UInt64) -> Int? {
        guard id >= base, id < nextID else { return nil }
        return (head + Int(id - base)) % states.count
    }

    static func code(_ d: Role) -> UInt8 { d == .master ? masterCode : workerCode }

    mutating func adjust(_ code: UInt8, by n: Int) {
        switch code {
        case Self.pendingCode: pending += n
        case Self.masterCode: inFlightMaster += n
        case Self.workerCode: inFlightWorker += n
        default: break
        }
    }

    /// A new request enters the ledger; returns its id.
    @discardableResult
    public mutating func submit(now: UInt64) -> UInt64 {
        let count = Int(nextID - base)
        if count == states.count { grow() }
        let i = (head + count) % states.count
        states[i] = Self.pendingCode
        submitted[i] = now
        sentAt[i] = now
        let id = nextID
        nextID += 1
        pending += 1
        sent += 1
        return id
    }

    /// Doubles the ring, unrolling it so that `head` is 0.
    mutating func grow() {
        let n = Int(nextID - base)
        let cap = max(1024, states.count * 2)
        var s = [UInt8](repeating: Self.answeredCode, count: cap)
        var t = [UInt64](repeating: 0, count: cap), u = [UInt64](repeating: 0, count: cap)
        for k in 0..<n {
            s[k] = states[(head + k) % states.count]
            t[k] = submitted[(head + k) % states.count]
            u[k] = sentAt[(head + k) % states.count]
        }
        states = s; submitted = t; sentAt = u; head = 0
    }

    /// Moves `base` past answered ids.
    mutating func advance() {
        while base < nextID, states[head] == Self.answeredCode {
            head = (head + 1) % states.count
            base += 1
        }
        if freshCursor < base { freshCursor = base }
    }

    /// Takes up to `max` pending ids (re-queued first, then fresh) and marks them in flight on
    /// `device`, sent at `now` (nil: their submission time).
    public mutating func nextBatch(for device: Role, max: Int, now: UInt64? = nil) -> [UInt64] {
        var out: [UInt64] = []
        guard max > 0, pending > 0 else { return out }
        out.reserveCapacity(Swift.min(max, pending))
        let code = Self.code(device)
        while out.count < max, retryHead < retry.count {
            let id = retry[retryHead]; retryHead += 1
            if let i = index(of: id), states[i] == Self.pendingCode { states[i] = code; sentAt[i] = now ?? submitted[i]; out.append(id) }
        }
        if retryHead == retry.count { retry.removeAll(keepingCapacity: true); retryHead = 0 }
        if freshCursor < base { freshCursor = base }
        while out.count < max, freshCursor < nextID {
            let i = (head + Int(freshCursor - base)) % states.count
            freshCursor += 1
            if states[i] == Self.pendingCode { states[i] = code; sentAt[i] = now ?? submitted[i]; out.append(freshCursor - 1) }
        }
        pending -= out.count
        adjust(code, by: out.count)
        return out
    }

    /// An answer for `id` (label 0…9, or -1 = unavailable) arrived from `device`. It counts
    /// only if `id` is in flight on that device (an answer from elsewhere is a duplicate).
    public mutating func onAnswer(_ id: UInt64, label: Int8, from device: Role, now: UInt64) -> Outcome {
        guard let i = index(of: id), states[i] == Self.code(device) else { duplicates += 1; return .duplicate }
        return settle(i, label: label, now: now)
    }

    mutating func settle(_ i: Int, label: Int8, now: UInt64) -> Outcome {
        adjust(states[i], by: -1)
        states[i] = Self.answeredCode
        answered += 1
        if label < 0 { unavailable += 1 } else { predicted += 1 }
        let latency = now &- submitted[i]
        advance()
        return .accepted(latencyNanos: latency)
    }

    /// `device` refused these ids (they did not fit its plan): route them again.
    public mutating func onReject(_ ids: [UInt64], from device: Role) {
        let code = Self.code(device)
        for id in ids {
            if let i = index(of: id), states[i] == code { requeue(i, id: id) }
        }
    }

    /// `device` is dead: its in-flight ids go back to the front of the queue. Returns them.
    @discardableResult
    public mutating func onDeviceDown(_ device: Role) -> [UInt64] {
        let code = Self.code(device)
        var moved: [UInt64] = []
        guard inFlight(on: device) > 0 else { return moved }
        for k in 0..<Int(nextID - base) {
            let i = (head + k) % states.count
            if states[i] == code { moved.append(base + UInt64(k)); requeue(i, id: base + UInt64(k)) }
        }
        redispatched += moved.count
        return moved
    }

    mutating func requeue(_ i: Int, id: UInt64) {
        adjust(states[i], by: -1)
        states[i] = Self.pendingCode
        pending += 1
        retry.append(id)
    }

    /// No device can serve: every waiting request is answered *unavailable*. Returns them.
    public mutating func answerPendingUnavailable(now: UInt64) -> [UInt64] {
        guard pending > 0 else { return [] }
        var ids: [UInt64] = []
        for k in 0..<Int(nextID - base) where states[(head + k) % states.count] == Self.pendingCode {
            ids.append(base + UInt64(k))
        }
        for id in ids { _ = settle(index(of: id)!, label: AnswerBatch.unavailable, now: now) }
        retry.removeAll(keepingCapacity: true); retryHead = 0
        return ids
    }

    /// Answers *unavailable* every request submitted at or before `now - deadline` (pending
    /// or in flight): nothing waits longer than the deadline. Returns them, oldest first.
    public mutating func expire(deadlineNanos: UInt64, now: UInt64) -> [UInt64] {
        var ids: [UInt64] = []
        guard now >= deadlineNanos else { return ids }
        let limit = now - deadlineNanos
        while base < nextID, submitted[head] <= limit {
            if states[head] != Self.answeredCode {
                ids.append(base)
                _ = settle(head, label: AnswerBatch.unavailable, now: now)
                expired += 1
            } else {
                advance()
            }
        }
        return ids
    }

    /// Answers *unavailable* the pending requests submitted before `limit`: no device would
    /// answer them within the deadline, so sending them only takes the place of requests it
    /// could (under overload a FIFO of doomed requests would make every answer late).
    /// Returns them, oldest first.
    public mutating func shed(submittedBefore limit: UInt64, now: UInt64) -> [UInt64] {
        var ids: [UInt64] = []
        guard pending > 0 else { return ids }
        var id = base
        while id < nextID, let i = index(of: id), submitted[i] < limit {
            if states[i] == Self.pendingCode {
                ids.append(id)
                _ = settle(i, label: AnswerBatch.unavailable, now: now)
                expired += 1
                shed += 1
            }
            id = Swift.max(id + 1, base)
        }
        return ids
    }

    /// How long `id` has been on its device (ns), nil when it is not in flight.
    public func serviceTime(of id: UInt64, now: UInt64) -> UInt64? {
        guard let i = index(of: id), states[i] == Self.masterCode || states[i] == Self.workerCode else { return nil }
        return now &- sentAt[i]
    }

    /// Submission time of the oldest outstanding request.
    public var oldestSubmitted: UInt64? { base < nextID ? submitted[head] : nil }
}
