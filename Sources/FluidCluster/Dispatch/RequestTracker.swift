import FluidModel

/// The source's ledger: every request id gets exactly one answer (docs/cluster.md invariant 2).
///
/// An id is *pending* (waiting for a device), *in flight* on one device, or answered (then
/// it is forgotten). An answer for an id not in the ledger is a duplicate — a late answer
/// from a device that was declared dead and resumed, or from a node that finished a batch
/// the source had already re-sent — and is counted and ignored. When a device is declared
/// dead its in-flight ids go back to the front of the queue and are re-sent to whichever
/// device the plan names next. Pure: time is passed in (nanoseconds).
public struct RequestTracker {
    public enum State: Equatable { case pending, inFlight(Role) }

    public enum Outcome: Equatable {
        /// First answer: count it. `latencyNanos` from submission.
        case accepted(latencyNanos: UInt64)
        /// Already answered (or never sent): ignore it.
        case duplicate
    }

    struct Entry { var state: State; var submittedAt: UInt64 }

    /// A request id as a dictionary key with a multiplicative hash: the source touches the
    /// ledger four times per image (submit, send, answer), and SipHash of a UInt64 was
    /// ~12 % of the source's CPU at 200 k img/s. Ids come from the source's own counter, so
    /// there is no hostile key to defend against (a node cannot add ids, only answer them).
    struct Key: Hashable {
        let id: UInt64
        static func == (a: Key, b: Key) -> Bool { a.id == b.id }
        func hash(into h: inout Hasher) { h.combine(id) }
        func _rawHashValue(seed: Int) -> Int {
            let x = (id ^ UInt64(truncatingIfNeeded: seed)) &* 0x9E37_79B9_7F4A_7C15
            return Int(truncatingIfNeeded: x ^ (x >> 29))
        }
    }

    var entries: [Key: Entry] = [:]
    /// Re-sent ids first (they have waited longest), then fresh ones; both FIFO. Entries
    /// whose state is no longer pending are skipped lazily.
    var retry: [UInt64] = []
    var retryHead = 0
    var fresh: [UInt64] = []
    var freshHead = 0
    /// In flight on the Master, on the Worker (a dictionary lookup per call was measurable).
    var inFlightMaster = 0, inFlightWorker = 0

    public private(set) var sent = 0
    public private(set) var answered = 0
    public private(set) var predicted = 0
    public private(set) var unavailable = 0
    public private(set) var duplicates = 0
    public private(set) var redispatched = 0

    public init() {}

    /// Requests not yet answered.
    public var outstanding: Int { entries.count }
    /// Requests waiting for a device.
    public var pendingCount: Int { entries.count - inFlightMaster - inFlightWorker }
    public func inFlight(on device: Role) -> Int { device == .master ? inFlightMaster : inFlightWorker }
    public func state(of id: UInt64) -> State? { entries[Key(id: id)]?.state }

    mutating func addInFlight(_ device: Role, _ n: Int) {
        if device == .master { inFlightMaster += n } else { inFlightWorker += n }
    }

    /// A new request enters the ledger.
    public mutating func submit(_ id: UInt64, now: UInt64) {
        let k = Key(id: id)
        guard entries[k] == nil else { return }
        entries[k] = Entry(state: .pending, submittedAt: now)
        fresh.append(id)
        sent += 1
    }

    /// Takes up to `max` pending ids and marks them in flight on `device`.
    public mutating func nextBatch(for device: Role, max: Int) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(max)
        func take(_ queue: inout [UInt64], _ head: inout Int) {
            while out.count < max, head < queue.count {
                let id = queue[head]; head += 1
                // One lookup: the index, then the value in place.
                if let i = entries.index(forKey: Key(id: id)), entries.values[i].state == .pending {
                    entries.values[i].state = .inFlight(device)
                    out.append(id)
                }
            }
            if head > 4096, head * 2 > queue.count { queue.removeFirst(head); head = 0 }
        }
        take(&retry, &retryHead)
        take(&fresh, &freshHead)
        addInFlight(device, out.count)
        return out
    }

    /// An answer for `id` (label 0…9, or -1 = unavailable) arrived.
    public mutating func onAnswer(_ id: UInt64, label: Int8, now: UInt64) -> Outcome {
        guard let e = entries.removeValue(forKey: Key(id: id)) else { duplicates += 1; return .duplicate }
        if case .inFlight(let d) = e.state { addInFlight(d, -1) }
        answered += 1
        if label < 0 { unavailable += 1 } else { predicted += 1 }
        return .accepted(latencyNanos: now &- e.submittedAt)
    }

    /// `device` refused these ids (they did not fit its plan): route them again.
    public mutating func onReject(_ ids: [UInt64], from device: Role) {
        for id in ids where entries[Key(id: id)]?.state == .inFlight(device) { requeue(id, from: device) }
    }

    /// `device` is dead: its in-flight ids go back to the front of the queue. Returns them.
    @discardableResult
    public mutating func onDeviceDown(_ device: Role) -> [UInt64] {
        let moved = entries.compactMap { $0.value.state == .inFlight(device) ? $0.key.id : nil }.sorted()
        for id in moved { requeue(id, from: device) }
        redispatched += moved.count
        return moved
    }

    /// No plan can run (`none`): every waiting request is answered *unavailable*. Returns them.
    public mutating func answerPendingUnavailable(now: UInt64) -> [UInt64] {
        let ids = entries.compactMap { $0.value.state == .pending ? $0.key.id : nil }.sorted()
        for id in ids { _ = onAnswer(id, label: AnswerBatch.unavailable, now: now) }
        retry.removeAll(); retryHead = 0; fresh.removeAll(); freshHead = 0
        return ids
    }

    mutating func requeue(_ id: UInt64, from device: Role) {
        entries[Key(id: id)]?.state = .pending
        addInFlight(device, -1)
        retry.append(id)
    }
}
