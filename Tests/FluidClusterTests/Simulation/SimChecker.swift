import FluidCluster

/// The invariants of docs/cluster.md (issue 11, a–e), checked after every event.
final class SimChecker {
    let kind: ModelKind
    let mode: Mode
    let deadline: UInt64
    let tick: UInt64
    var world: SimWorld!

    /// First violation per invariant letter.
    var violations: [Character: String] = [:]
    var failed: Bool { !violations.isEmpty }
    var first: String?

    // (a), (d): ids are dense from 0.
    var submittedAt: [UInt64] = []
    var answers: [UInt8] = []
    var oldest = 0
    var predicted = 0, unavailable = 0

    // (c)
    var epochTable: [UInt64: (plan: Plan, leader: Role)] = [:]
    var lastRelayed: [Role: UInt64] = [:]

    // (e)
    var liveFrom = UInt64.max, liveUntil = UInt64.max
    var expected: Plan { Planner.plan(kind: kind, alive: [.master, .worker], mode: mode, wanted: wanted) }
    let wanted: Plan?

    init(kind: ModelKind, mode: Mode, wanted: Plan? = nil, deadline: UInt64, tick: UInt64) {
        self.kind = kind; self.mode = mode; self.wanted = wanted; self.deadline = deadline; self.tick = tick
    }

    func violate(_ letter: Character, _ what: String) {
        guard violations[letter] == nil else { return }
        let line = "(\(letter)) at \(world.now / 1000) µs: \(what)"
        violations[letter] = line
        if first == nil { first = line }
    }

    func submitted(_ id: UInt64) {
        if id != UInt64(submittedAt.count) { violate("a", "ledger issued id \(id), expected \(submittedAt.count)") }
        submittedAt.append(world.now)
        answers.append(0)
    }

    /// A final answer reached the user: a prediction (`label` ≥ 0) or *unavailable*, from a
    /// node (`from`) or from the source itself (nil).
    func final(_ id: UInt64, label: Int8, plan: Plan, provenance: [Provenance], from: Role?) {
        guard id < UInt64(answers.count) else { return violate("a", "answer for id \(id), never submitted") }
        answers[Int(id)] &+= 1
        if answers[Int(id)] > 1 { violate("a", "request \(id) answered twice (second from \(from?.rawValue ?? "the source"))") }
        if label < 0 { unavailable += 1; return }
        predicted += 1
        guard let d = from, !provenance.isEmpty else { return violate("b", "prediction for \(id) without a computing device") }
        if provenance.count == 1 {
            if provenance[0].role != d { violate("b", "prediction for \(id) computed by \(provenance[0].role.rawValue) but answered by \(d.rawValue)") }
        } else {
            let e = Set(provenance.map(\.epoch))
            if e.count > 1 { violate("b", "joint prediction for \(id) mixes epochs \(provenance.map { "\($0.role.rawValue)@\($0.epoch.map(String.init) ?? "-")" })") }
            if d != .master { violate("b", "joint prediction for \(id) answered by \(d.rawValue)") }
        }
        for p in provenance where plan.job(for: p.role).subnet != p.subnet {
            violate("b", "prediction for \(id): \(p.role.rawValue) ran \(p.subnet.name) but plan \(plan.rawValue) names \(plan.job(for: p.role).label ?? "idle")")
        }
        if let e = provenance[0].epoch, let rec = epochTable[e], rec.plan != plan {
            violate("b", "prediction for \(id) answered as \(plan.rawValue) but epoch \(e) is \(rec.plan.rawValue)")
        }
    }

    /// A node installed `a` (its own plan as leader, or the leader's).
    func installed(_ a: PlanAnnouncement, by node: Role, previous: UInt64) {
        if let rec = epochTable[a.epoch], rec.plan != a.plan || rec.leader != a.leader {
            violate("c", "epoch \(a.epoch) names \(rec.plan.rawValue) by \(rec.leader.rawValue) and \(a.plan.rawValue) by \(a.leader.rawValue) (installed by \(node.rawValue))")
        } else {
            epochTable[a.epoch] = (a.plan, a.leader)
        }
        if a.epoch <= previous { violate("c", "\(node.rawValue) installed epoch \(a.epoch) while running \(previous)") }
    }

    func sourceConnected(_ r: Role) { lastRelayed[r] = 0 }

    /// What the source holds as `r`'s plan after a relay.
    func relayed(_ a: PlanAnnouncement?, by r: Role) {
        guard let a else { return }
        if a.epoch < lastRelayed[r, default: 0] { violate("c", "source went back from epoch \(lastRelayed[r]!) to \(a.epoch) for \(r.rawValue)") }
        lastRelayed[r] = a.epoch
    }

    func afterEvent() {
        let now = world.now
        while oldest < answers.count, answers[oldest] > 0 { oldest += 1 }
        if oldest < answers.count, now &- submittedAt[oldest] > deadline + tick {
            violate("d", "request \(oldest) outstanding for \((now - submittedAt[oldest]) / simMs) ms")
        }
        if now >= liveFrom, now <= liveUntil {
            let p = expected
            let s = world.source.source.served
            let m = world.master.instance.current?.plan, w = world.worker.instance.current?.plan
            if s != p || m != p || w != p {
                violate("e", "\((now - (liveFrom - 1_000 * simMs)) / simMs) ms after the last heal the source serves \(s.rawValue) (master runs \(m?.rawValue ?? "-"), worker \(w?.rawValue ?? "-")), expected \(p.rawValue)")
            }
        }
    }

    /// After the drain: nothing unanswered.
    func drained() {
        let missing = answers.indices.filter { answers[$0] == 0 }
        if !missing.isEmpty { violate("a", "\(missing.count) requests never answered (first \(missing[0]))") }
    }
}
