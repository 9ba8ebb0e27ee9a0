import FluidCluster

/// One one-way FIFO channel of a link: latency, extra delay, bandwidth, cut.
struct SimChannel {
    struct InFlight { var conn: Int; var msg: SimMsg }
    var latency: UInt64 = 0
    var extraDelay: UInt64 = 0
    /// Bytes per millisecond; 0 = unlimited.
    var bytesPerMs: Int = 0
    var cut = false
    /// When the sender's side of the channel is free again (throttling serialises frames).
    var freeAt: UInt64 = 0
    /// Delivery time of the last frame: FIFO even when the delay shrinks.
    var lastAt: UInt64 = 0
    var queue: [InFlight] = []
    var head = 0
    /// Frames that arrived while cut (see `SimWorld.deliver`), delivered at the heal.
    var held: [InFlight] = []
}

enum SimTimer {
    case redial(Party)
    case connectTimeout(conn: Int)
    case computeDone(job: Int)
}

enum SimEvent {
    case deliver(channel: Int)
    case bytes(channel: Int, conn: Int)
    case tick(Party, incarnation: Int)
    case timer(Party, incarnation: Int, SimTimer)
    case fault(Int)
    case revive(Party)
}

/// What a process has queued while SIGSTOPped.
enum SimInboxItem {
    case net(conn: Int, msg: SimMsg)
    case timer(SimTimer)
    case bytes(conn: Int)
}

/// The socket end a process holds.
struct SimEndpoint {
    var peer: Party
    var dialed: Bool
    var openedAt: UInt64
    var hello: Hello?
}

/// The process part of a party: up/crashed, paused, slow, its sockets; subclasses are the
/// shells (node, source) around the real instances.
class SimProcess {
    /// Strong (unowned and weak references cost a slow path per use); `simulate` breaks
    /// the cycle when the run ends.
    let world: SimWorld
    let party: Party
    var up = true
    var paused = false
    var incarnation = 0
    var slow: UInt64 = 1
    var endpoints: [Int: SimEndpoint] = [:]
    var pendingDials: [Int: Party] = [:]
    var inbox: [SimInboxItem] = []
    var tickOwed = false

    init(world: SimWorld, party: Party) { self.world = world; self.party = party }

    var now: UInt64 { world.now }

    // Overridden by the shells.
    func start() {}
    func handle(conn: Int, msg: SimMsg) {}
    /// The connection closed under us (the other side closed it, or it crashed).
    func closed(conn: Int) {}
    func dialSucceeded(conn: Int, to: Party) {}
    func dialFailed(to: Party) {}
    func tick() {}
    func timer(_ t: SimTimer) {}
    func bytesArrived(conn: Int) {}

    func send(_ conn: Int, _ m: SimMsg) {
        guard let e = endpoints[conn] else { return }
        world.transmit(from: party, to: e.peer, conn: conn, msg: m)
    }

    /// Closes our end (the other side gets a close event after what is in flight).
    func closeLocally(_ conn: Int) {
        guard let e = endpoints.removeValue(forKey: conn) else { return }
        world.transmit(from: party, to: e.peer, conn: conn, msg: .fin)
    }

    func dial(_ to: Party) -> Int {
        let c = world.nextConn
        world.nextConn += 1
        pendingDials[c] = to
        world.transmit(from: party, to: to, conn: c, msg: .syn)
        world.schedule(timerIn: world.handshakeTimeout, for: self, .connectTimeout(conn: c))
        return c
    }

    /// Loop-level delivery (the process is up and not paused).
    func run(_ item: SimInboxItem) {
        switch item {
        case .net(let conn, let msg):
            switch msg {
            case .synAck:
                guard let to = pendingDials.removeValue(forKey: conn) else {
                    // The connect already timed out: drop the late connection.
                    world.transmit(from: party, to: world.otherEnd(of: conn, from: party), conn: conn, msg: .fin)
                    return
                }
                endpoints[conn] = SimEndpoint(peer: to, dialed: true, openedAt: now, hello: nil)
                dialSucceeded(conn: conn, to: to)
            case .rst:
                guard let to = pendingDials.removeValue(forKey: conn) else { return }
                dialFailed(to: to)
            case .fin:
                guard endpoints.removeValue(forKey: conn) != nil else { return }
                closed(conn: conn)
            default:
                guard endpoints[conn] != nil else { return }
                handle(conn: conn, msg: msg)
            }
        case .timer(let t):
            if case .connectTimeout(let c) = t {
                guard let to = pendingDials.removeValue(forKey: c) else { return }
                dialFailed(to: to)
            } else {
                timer(t)
            }
        case .bytes(let conn):
            if endpoints[conn] != nil { bytesArrived(conn: conn) }
        }
    }
}

/// The simulated cluster: a virtual clock, an event heap, six one-way channels and three
/// processes. Deterministic: given the schedule (and its seed), a run is always the same.
final class SimWorld {
    var now: UInt64 = 0
    var rng: SplitMix64
    var heap = EventHeap<SimEvent>()
    var channels = [SimChannel](repeating: SimChannel(), count: 9)
    var processes: [SimProcess] = []
    var nextConn = 1
    /// Which two parties each connection joins (dialer, acceptor).
    var connEnds: [Int: (Party, Party)] = [:]
    let schedule: SimSchedule
    let sabotage: Sabotage
    let checker: SimChecker
    let tickInterval: UInt64 = 10 * simMs
    /// Shortest time from a crash to the revived process running: a process restart.
    static let minDowntime: UInt64 = 5 * simMs
    let handshakeTimeout: UInt64 = ClusterSettings().handshakeTimeout.nanoseconds
    let cluster = ClusterSettings()
    var events = 0
    var stopOnFirst = true
    /// FLUID_SIM_TRACE=1 (replay): one line per protocol step.
    var trace = false
    func log(_ p: Party, _ line: @autoclosure () -> String) {
        if trace { print("\(Double(now / 1_000) / 1_000) ms \(p.name): \(line())") }
    }

    private(set) var source: SimSource!
    private(set) var master: SimNode!
    private(set) var worker: SimNode!
    func node(_ r: Role) -> SimNode { r == .master ? master : worker }

    /// Breaks the world ↔ process ↔ checker references.
    func tearDown() {
        processes = []; source = nil; master = nil; worker = nil
        checker.world = nil
    }

    init(schedule: SimSchedule, sabotage: Sabotage = []) {
        self.schedule = schedule
        self.sabotage = sabotage
        rng = SplitMix64(seed: schedule.seed ^ 0xA5A5_5A5A_0F0F_F0F0)
        var deadline = SourceInstance.Settings().deadline.nanoseconds
        checker = SimChecker(kind: schedule.kind, mode: schedule.mode, wanted: schedule.wanted, deadline: deadline, tick: tickInterval)
        if sabotage.contains(.ignoreDeadline) { deadline = 10_000 * simMs }
        for l in SimLink.allCases {
            let (a, b) = l.ends
            channels[a.rawValue * 3 + b.rawValue].latency = schedule.latency[l.rawValue]
            channels[b.rawValue * 3 + a.rawValue].latency = schedule.latency[l.rawValue]
        }
        source = SimSource(world: self, deadline: deadline)
        master = SimNode(world: self, role: .master)
        worker = SimNode(world: self, role: .worker)
        processes = [source, master, worker]
        checker.world = self
        for (i, f) in schedule.faults.enumerated() { heap.push(f.at, .fault(i)) }
    }

    func otherEnd(of conn: Int, from p: Party) -> Party {
        guard let (a, b) = connEnds[conn] else { return p }
        return a == p ? b : a
    }

    func schedule(timerIn dt: UInt64, for p: SimProcess, _ t: SimTimer) {
        heap.push(now + dt, .timer(p.party, incarnation: p.incarnation, t))
    }

    func scheduleTick(_ p: SimProcess, in dt: UInt64) {
        heap.push(now + dt, .tick(p.party, incarnation: p.incarnation))
    }

    // MARK: network

    func transmit(from: Party, to: Party, conn: Int, msg: SimMsg) {
        if case .syn = msg { connEnds[conn] = (from, to) }
        // A cut acts on arrival (`deliver`), so frames keep their order across it.
        enqueue(from.rawValue * 3 + to.rawValue, conn: conn, msg: msg)
    }

    func enqueue(_ idx: Int, conn: Int, msg: SimMsg) {
        // In place: a copy of the channel would copy its queue on every append.
        let start = max(now, channels[idx].freeAt)
        let bw = channels[idx].bytesPerMs
        let tx = bw > 0 ? UInt64(msg.size) * simMs / UInt64(bw) : 0
        channels[idx].freeAt = start + tx
        let at = max(start + tx + channels[idx].latency + channels[idx].extraDelay, channels[idx].lastAt)
        channels[idx].lastAt = at
        if tx > 10 * simMs {
            // The receiver sees the frame's bytes arrive while it is transferred: any byte
            // counts as life (a heartbeat queued behind a bulk frame is not a death).
            var t = start + channels[idx].latency + 10 * simMs
            while t < at { heap.push(t, .bytes(channel: idx, conn: conn)); t += 10 * simMs }
        }
        if channels[idx].head > 64, channels[idx].head * 2 > channels[idx].queue.count {
            channels[idx].queue.removeFirst(channels[idx].head)
            channels[idx].head = 0
        }
        channels[idx].queue.append(.init(conn: conn, msg: msg))
        heap.push(at, .deliver(channel: idx))
    }

    func deliver(channel idx: Int) {
        let item = channels[idx].queue[channels[idx].head]
        channels[idx].head += 1
        if channels[idx].cut {
            // A partition: TCP retransmits what was sent, and it arrives after the heal if
            // the connection still exists. Lossy cuts (the fault injector's LinkCutHandler)
            // drop the bytes; only the close (FIN/RST, retransmitted) survives.
            if !schedule.lossyCuts { channels[idx].held.append(item); return }
            if case .fin = item.msg { channels[idx].held.append(item) }
            return
        }
        let from = Party(rawValue: idx / 3)!, to = Party(rawValue: idx % 3)!
        let p = processes[to.rawValue]
        switch item.msg {
        case .syn:
            // The kernel accepts even for a paused process; a crashed one refuses.
            if p.up {
                p.endpoints[item.conn] = SimEndpoint(peer: from, dialed: false, openedAt: now, hello: nil)
                transmit(from: to, to: from, conn: item.conn, msg: .synAck)
            } else {
                transmit(from: to, to: from, conn: item.conn, msg: .rst)
            }
            return
        default:
            break
        }
        guard p.up else {
            // A frame for a dead process: its kernel answers with a reset.
            if case .fin = item.msg { return }
            if case .rst = item.msg { return }
            if case .synAck = item.msg { return }
            transmit(from: to, to: from, conn: item.conn, msg: .fin)
            return
        }
        inject(p, .net(conn: item.conn, msg: item.msg))
    }

    func inject(_ p: SimProcess, _ item: SimInboxItem) {
        if p.paused { p.inbox.append(item) } else { p.run(item) }
    }

    // MARK: the loop

    func startAll() {
        for p in processes {
            p.start()
            scheduleTick(p, in: 0)
        }
    }

    /// Runs events up to `t` (inclusive), checking the invariants after each.
    func run(until t: UInt64) {
        while let nt = heap.nextTime, nt <= t {
            let item = heap.pop()!
            now = item.time
            events += 1
            switch item.event {
            case .deliver(let idx):
                deliver(channel: idx)
            case .bytes(let idx, let conn):
                let p = processes[idx % 3]
                if p.up, !channels[idx].cut { inject(p, .bytes(conn: conn)) }
            case .tick(let party, let inc):
                let p = processes[party.rawValue]
                guard p.up, p.incarnation == inc else { break }
                if p.paused { p.tickOwed = true } else { p.tick(); scheduleTick(p, in: tickInterval) }
            case .timer(let party, let inc, let tm):
                let p = processes[party.rawValue]
                guard p.up, p.incarnation == inc else { break }
                inject(p, .timer(tm))
            case .fault(let i):
                log(.source, "FAULT \(schedule.faults[i].fault.text)")
                apply(schedule.faults[i].fault)
            case .revive(let p):
                revive(node(p.role!))
            }
            checker.afterEvent()
            if stopOnFirst, checker.failed { return }
        }
        now = max(now, t)
    }

    // MARK: faults

    func apply(_ f: SimFault) {
        switch f {
        case .crash(let r): crash(node(r))
        case .revive(let r):
            // A new process needs at least `minDowntime` (exec, weights, bind); the epoch
            // floor in NodeInstance relies on it (see SimulationRegressionTests).
            let n = node(r)
            if !n.up, now < n.crashedAt + SimWorld.minDowntime {
                heap.push(n.crashedAt + SimWorld.minDowntime, .revive(Party(r)))
            } else {
                revive(n)
            }
        case .restart(let r):
            // A process restart takes a few milliseconds (the sockets close at once).
            crash(node(r))
            heap.push(now + SimWorld.minDowntime, .revive(Party(r)))
        case .pause(let r):
            // SIGSTOP to a dead process (crashed, its restart still under way) does nothing.
            if node(r).up { node(r).paused = true }
        case .resume(let r): resume(node(r))
        case .slow(let r, let k): node(r).slow = UInt64(k)
        case .unslow(let r): node(r).slow = 1
        case .cut(let l, let d): setCut(l, d, true)
        case .heal(let l, let d): setCut(l, d, false)
        case .delay(let l, let ms): forEachWay(l) { $0.extraDelay = UInt64(ms) * simMs }
        case .undelay(let l): forEachWay(l) { $0.extraDelay = 0 }
        case .throttle(let l, let b): forEachWay(l) { $0.bytesPerMs = b }
        case .unthrottle(let l): forEachWay(l) { $0.bytesPerMs = 0 }
        }
    }

    func forEachWay(_ l: SimLink, _ body: (inout SimChannel) -> Void) {
        let (a, b) = l.ends
        body(&channels[a.rawValue * 3 + b.rawValue])
        body(&channels[b.rawValue * 3 + a.rawValue])
    }

    func setCut(_ l: SimLink, _ d: SimDirection, _ on: Bool) {
        let (a, b) = l.ends
        for (from, to) in [(a, b), (b, a)] where d.covers(from: from, link: l) {
            let idx = from.rawValue * 3 + to.rawValue
            channels[idx].cut = on
            if !on {
                let held = channels[idx].held
                channels[idx].held = []
                for h in held { enqueue(idx, conn: h.conn, msg: h.msg) }
            }
        }
    }

    func crash(_ n: SimNode) {
        guard n.up else { return }
        n.up = false
        n.crashedAt = now
        n.paused = false
        n.inbox = []
        n.tickOwed = false
        n.incarnation += 1
        // The kernel closes every socket of a dead process.
        for (c, e) in n.endpoints.sorted(by: { $0.key < $1.key }) { transmit(from: n.party, to: e.peer, conn: c, msg: .fin) }
        n.endpoints = [:]
        n.pendingDials = [:]
        n.slow = 1
    }

    func revive(_ n: SimNode) {
        guard !n.up else { return }
        n.up = true
        n.paused = false
        n.inbox = []
        n.tickOwed = false
        n.incarnation += 1
        n.reset()
        n.start()
        scheduleTick(n, in: 0)
    }

    /// SIGCONT: the queued burst is handled now, and the overdue tick fires late — before
    /// or after the burst, as the event loop happens to order them.
    func resume(_ n: SimNode) {
        guard n.paused else { return }
        n.paused = false
        let items = n.inbox
        n.inbox = []
        let tickFirst = rng.chance(0.5)
        if n.tickOwed, tickFirst { n.tickOwed = false; n.tick(); scheduleTick(n, in: tickInterval) }
        for it in items {
            guard n.up, !n.paused else { break }
            n.run(it)
        }
        if n.tickOwed { n.tickOwed = false; n.tick(); scheduleTick(n, in: tickInterval) }
    }
}
