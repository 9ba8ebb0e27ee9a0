import FluidCluster

/// SplitMix64: a tiny, fast, seedable generator. Everything random in a schedule — its
/// faults, link latencies, the order of a resumed process's burst — comes from one of
/// these, so a seed replays a run exactly.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: UInt64) -> UInt64 { n == 0 ? 0 : next() % n }
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(below(UInt64(r.count))) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
}

let simMs: UInt64 = 1_000_000

/// The three processes of a cluster.
enum Party: Int, CaseIterable, Sendable {
    case source = 0, master = 1, worker = 2
    init(_ r: Role) { self = r == .master ? .master : .worker }
    var role: Role? { self == .source ? nil : (self == .master ? .master : .worker) }
    var name: String { self == .source ? "source" : (self == .master ? "master" : "worker") }
}

/// The three links; each is two one-way channels.
enum SimLink: Int, CaseIterable, Sendable {
    case sourceMaster = 0, sourceWorker = 1, masterWorker = 2
    var ends: (Party, Party) {
        switch self {
        case .sourceMaster: return (.source, .master)
        case .sourceWorker: return (.source, .worker)
        case .masterWorker: return (.master, .worker)
        }
    }
    var name: String { "\(ends.0.name)-\(ends.1.name)" }
}

/// Which way(s) of a link a cut applies to.
enum SimDirection: Int, Sendable {
    case both, forward, backward  // forward: ends.0 → ends.1
    func name(_ l: SimLink) -> String {
        switch self {
        case .both: return l.name
        case .forward: return "\(l.ends.0.name)>\(l.ends.1.name)"
        case .backward: return "\(l.ends.0.name)<\(l.ends.1.name)"
        }
    }
    func covers(from: Party, link l: SimLink) -> Bool {
        switch self {
        case .both: return true
        case .forward: return from == l.ends.0
        case .backward: return from == l.ends.1
        }
    }
}

/// One fault of a schedule.
enum SimFault: Equatable, Sendable {
    case crash(Role), revive(Role), restart(Role)
    case pause(Role), resume(Role)
    case slow(Role, factor: Int), unslow(Role)
    case cut(SimLink, SimDirection), heal(SimLink, SimDirection)
    case delay(SimLink, ms: Int), undelay(SimLink)
    case throttle(SimLink, bytesPerMs: Int), unthrottle(SimLink)

    var text: String {
        switch self {
        case .crash(let r): return "crash:\(r.rawValue)"
        case .revive(let r): return "revive:\(r.rawValue)"
        case .restart(let r): return "restart:\(r.rawValue)"
        case .pause(let r): return "pause:\(r.rawValue)"
        case .resume(let r): return "resume:\(r.rawValue)"
        case .slow(let r, let k): return "slow\(k)x:\(r.rawValue)"
        case .unslow(let r): return "unslow:\(r.rawValue)"
        case .cut(let l, let d): return "cut:\(d.name(l))"
        case .heal(let l, let d): return "heal:\(d.name(l))"
        case .delay(let l, let ms): return "delay\(ms)ms:\(l.name)"
        case .undelay(let l): return "undelay:\(l.name)"
        case .throttle(let l, let b): return "throttle\(b)B/ms:\(l.name)"
        case .unthrottle(let l): return "unthrottle:\(l.name)"
        }
    }
}

/// Which device computed an answer, with what, under which plan epoch (nil: standalone).
struct Provenance: Equatable, Sendable {
    var role: Role
    var subnet: Subnet
    var epoch: UInt64?
}

/// What travels on a simulated connection. Sizes are those of the real frames (roughly),
/// so a throttled link delays bulk frames and whatever queues behind them.
enum SimMsg {
    case syn, synAck, rst, fin
    case hello(Hello)
    case heartbeat
    case plan(PlanAnnouncement)
    case ack(epoch: UInt64, needs: [Bool])
    case setMode(ModeRequest)
    case request(ids: [UInt64], standalone: Bool)
    case answer(ids: [UInt64], labels: [Int8], plan: Plan, provenance: [Provenance])
    case reject(ids: [UInt64])
    case jointImages(batch: UInt64, epoch: UInt64, count: Int)
    case jointPartial(batch: UInt64, provenance: Provenance)

    var size: Int {
        switch self {
        case .request(let ids, _): return 24 + ids.count * (8 + 784)
        case .answer(let ids, _, _, _): return 24 + ids.count * 9
        case .reject(let ids): return 16 + ids.count * 8
        case .jointImages(_, _, let n): return 32 + n * 784
        case .jointPartial: return 32 + 4 * 10 * 4 + 2 * 16 * 4 * 14 * 14  // partial + the activations of a batch
        default: return 48
        }
    }
}

/// Deliberately broken variants, to show that every checker catches what it is for.
struct Sabotage: OptionSet, Sendable {
    let rawValue: Int
    /// Nodes answer every solo batch twice, and the source shell counts every answer it
    /// receives instead of asking the ledger (invariant a: two answers).
    static let answerTwiceBypassLedger = Sabotage(rawValue: 1 << 0)
    /// Nodes drop a quarter of their answers and the source shell loses its own
    /// *unavailable* answers (invariant a: none after the drain).
    static let loseAnswers = Sabotage(rawValue: 1 << 1)
    /// The Worker computes its joint shares with the engine of the plan it ran before the
    /// current one (a stale engine after a re-deploy): invariant b, a joint answer mixes
    /// two epochs. (Ignoring the batch epoch alone cannot be seen: FIFO links and batches
    /// tied to one connection never bring the Worker a batch of another epoch.)
    static let workerStaleEngine = Sabotage(rawValue: 1 << 2)
    /// The Worker's plans go out with the Master's leader bit: the old epoch tie
    /// (invariant c).
    static let tieEpochs = Sabotage(rawValue: 1 << 3)
    /// The source's deadline is 10 s while the checker holds it to 1 s, and nodes drop
    /// answers (invariant d).
    static let ignoreDeadline = Sabotage(rawValue: 1 << 4)
    /// The Master shell does not tell its instance when the Worker reconnects after the
    /// first time: it never re-plans after a heal (invariant e).
    static let noReplanAfterHeal = Sabotage(rawValue: 1 << 5)
}

/// A binary min-heap of events by (time, sequence): equal times run in the order scheduled.
struct EventHeap<E> {
    struct Item { var time: UInt64; var seq: UInt64; var event: E }
    var items: [Item] = []
    var seq: UInt64 = 0
    var isEmpty: Bool { items.isEmpty }
    var nextTime: UInt64? { items.first?.time }

    mutating func push(_ t: UInt64, _ e: E) {
        seq += 1
        items.append(Item(time: t, seq: seq, event: e))
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if less(items[i], items[p]) { items.swapAt(i, p); i = p } else { break }
        }
    }

    mutating func pop() -> Item? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        let n = items.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n, less(items[l], items[m]) { m = l }
            if r < n, less(items[r], items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m); i = m
        }
        return top
    }

    @inline(__always) func less(_ a: Item, _ b: Item) -> Bool { a.time != b.time ? a.time < b.time : a.seq < b.seq }
}
