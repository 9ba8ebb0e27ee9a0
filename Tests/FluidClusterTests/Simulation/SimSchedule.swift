import FluidCluster

/// A run: kind, mode, link latencies and timed faults, all derived from a seed (or built
/// by hand for a regression test). After the faults, everything is healed; then 1.5 s of
/// quiet (liveness checked from 1 s after the last heal), then a drain.
struct SimSchedule {
    struct Timed { var at: UInt64; var fault: SimFault }
    var seed: UInt64
    var kind: ModelKind
    var mode: Mode
    /// The plan the source wants (issue 14), nil: the failure table alone.
    var wanted: Plan?
    /// One-way latency per link (ns), indexed by `SimLink.rawValue`.
    var latency: [UInt64]
    var faults: [Timed]
    /// Time of the last heal (0 when there are no faults).
    var healAt: UInt64
    /// Cuts drop frames on live connections (what `fluid run --faults cut:…` does with its
    /// LinkCutHandler) instead of holding them until the heal (TCP over a partition).
    var lossyCuts = false
    static let quiet: UInt64 = 1_500 * simMs
    static let liveness: UInt64 = 1_000 * simMs

    /// Kind and mode come from the seed: seed % 3 picks the kind, (seed / 3) % 2 the mode.
    static func kind(of seed: UInt64) -> ModelKind { ModelKind.allCases[Int(seed % 3)] }
    static func mode(of seed: UInt64) -> Mode { (seed / 3) % 2 == 0 ? .ha : .ht }
    /// Every second pair of seeds of a kind wants a plan of its menu (issue 14), chosen by
    /// the seed too, so the wanted-plan path meets the same faults as the table.
    static func wanted(of seed: UInt64) -> Plan? {
        guard (seed / 6) % 2 == 1 else { return nil }
        let menu = Plan.menu(for: kind(of: seed))
        return menu[Int((seed / 12) % UInt64(menu.count))]
    }

    init(seed: UInt64, kind: ModelKind, mode: Mode, latency: [UInt64] = [500_000, 500_000, 500_000], faults: [(UInt64, SimFault)]) {
        self.seed = seed; self.kind = kind; self.mode = mode; self.latency = latency
        self.faults = faults.map { Timed(at: $0.0, fault: $0.1) }
        // A restart revives 5 ms after the crash (SimWorld.apply).
        // A revive happens at least SimWorld.minDowntime after its crash.
        var lastCrash: [Role: UInt64] = [:]
        var heal: UInt64 = 0
        for (at, f) in faults.sorted(by: { $0.0 < $1.0 }) {
            switch f {
            case .crash(let r): lastCrash[r] = at; heal = max(heal, at)
            case .restart: heal = max(heal, at + SimWorld.minDowntime)
            case .revive(let r): heal = max(heal, at, (lastCrash[r] ?? 0) + SimWorld.minDowntime)
            default: heal = max(heal, at)
            }
        }
        healAt = heal
    }

    /// A random schedule: up to `maxFaults` faults within `window`, every one healed by its end.
    static func random(seed: UInt64, maxFaults: Int = 6, window: ClosedRange<Int> = 100...700) -> SimSchedule {
        var r = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D ^ 0x1234_5678)
        let latency = (0..<3).map { _ in UInt64(r.int(50...3_000)) * 1_000 }
        let end = UInt64(r.int(window)) * simMs
        let n = r.int(0...maxFaults)
        // Microsecond times, so that the printed schedule is exact.
        var times = (0..<n).map { _ in r.below(end / 1_000) * 1_000 }
        times.sort()
        var crashed: Set<Role> = [], paused: Set<Role> = [], slowed: Set<Role> = []
        var cut: [SimLink: SimDirection] = [:], delayed: Set<SimLink> = [], throttled: Set<SimLink> = []
        var out: [(UInt64, SimFault)] = []
        for t in times {
            var active: [SimFault] = []
            for x in crashed.sorted(by: { $0.rawValue < $1.rawValue }) { active.append(.revive(x)) }
            for x in paused.sorted(by: { $0.rawValue < $1.rawValue }) { active.append(.resume(x)) }
            for x in slowed.sorted(by: { $0.rawValue < $1.rawValue }) { active.append(.unslow(x)) }
            for (l, d) in cut.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { active.append(.heal(l, d)) }
            for l in delayed.sorted(by: { $0.rawValue < $1.rawValue }) { active.append(.undelay(l)) }
            for l in throttled.sorted(by: { $0.rawValue < $1.rawValue }) { active.append(.unthrottle(l)) }
            if !active.isEmpty, r.chance(0.4) {
                let f = active[Int(r.below(UInt64(active.count)))]
                switch f {
                case .revive(let x): crashed.remove(x)
                case .resume(let x): paused.remove(x)
                case .unslow(let x): slowed.remove(x)
                case .heal(let l, _): cut[l] = nil
                case .undelay(let l): delayed.remove(l)
                case .unthrottle(let l): throttled.remove(l)
                default: break
                }
                out.append((t, f))
                continue
            }
            let role: Role = r.chance(0.5) ? .master : .worker
            let link = SimLink(rawValue: Int(r.below(3)))!
            switch r.below(8) {
            case 0:
                guard !crashed.contains(role) else { continue }
                crashed.insert(role); paused.remove(role); slowed.remove(role)
                out.append((t, .crash(role)))
            case 1:
                guard !crashed.contains(role) else { continue }
                paused.remove(role); slowed.remove(role)
                out.append((t, .restart(role)))
            case 2, 3:
                guard !crashed.contains(role), !paused.contains(role) else { continue }
                paused.insert(role)
                out.append((t, .pause(role)))
            case 4, 5:
                guard cut[link] == nil else { continue }
                let d = SimDirection(rawValue: r.chance(0.5) ? 0 : r.int(1...2))!
                cut[link] = d
                out.append((t, .cut(link, d)))
            case 6:
                guard !crashed.contains(role), !slowed.contains(role) else { continue }
                slowed.insert(role)
                out.append((t, .slow(role, factor: [2, 5, 20, 100][Int(r.below(4))])))
            default:
                if r.chance(0.5) {
                    guard !delayed.contains(link) else { continue }
                    delayed.insert(link)
                    out.append((t, .delay(link, ms: [20, 100, 300][Int(r.below(3))])))
                } else {
                    guard !throttled.contains(link) else { continue }
                    throttled.insert(link)
                    out.append((t, .throttle(link, bytesPerMs: [200, 1_000, 5_000][Int(r.below(3))])))
                }
            }
        }
        // Everything still broken heals at the end of the window.
        for x in crashed.sorted(by: { $0.rawValue < $1.rawValue }) { out.append((end, .revive(x))) }
        for x in paused.sorted(by: { $0.rawValue < $1.rawValue }) { out.append((end, .resume(x))) }
        for x in slowed.sorted(by: { $0.rawValue < $1.rawValue }) { out.append((end, .unslow(x))) }
        for (l, d) in cut.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { out.append((end, .heal(l, d))) }
        for l in delayed.sorted(by: { $0.rawValue < $1.rawValue }) { out.append((end, .undelay(l))) }
        for l in throttled.sorted(by: { $0.rawValue < $1.rawValue }) { out.append((end, .unthrottle(l))) }
        var s = SimSchedule(seed: seed, kind: kind(of: seed), mode: mode(of: seed), latency: latency, faults: out)
        s.wanted = wanted(of: seed)
        return s
    }

    /// Milliseconds, exact to the microsecond.
    static func ms(_ t: UInt64) -> String {
        let us = t / 1_000
        return us % 1_000 == 0 ? "\(us / 1_000)" : "\(us / 1_000).\(String(us % 1_000 + 1_000).dropFirst())"
    }

    /// One line: enough to read what happened; `FLUID_SIM_SEED=<seed>` replays it.
    var line: String {
        let lat = SimLink.allCases.map { "\($0.name)=\(Double(latency[$0.rawValue] / 1_000) / 1_000)ms" }.joined(separator: ",")
        let f = faults.map { "\($0.fault.text)@\(Self.ms($0.at))" }.joined(separator: ",")
        return "seed=\(seed)\(lossyCuts ? " lossy-cuts" : "") kind=\(kind.rawValue) mode=\(mode.rawValue)\(wanted.map { " wanted=\($0.rawValue)" } ?? "") latency=\(lat) faults=[\(f)] healed@\(Self.ms(healAt))ms"
    }
}

/// Runs one schedule to its end; returns the checker.
@discardableResult
func simulate(_ s: SimSchedule, sabotage: Sabotage = [], stopOnFirst: Bool = true, trace: Bool = false) -> (SimChecker, Int) {
    let w = SimWorld(schedule: s, sabotage: sabotage)
    w.trace = trace
    w.checker.liveFrom = s.healAt + SimSchedule.liveness
    w.checker.liveUntil = s.healAt + SimSchedule.quiet
    w.stopOnFirst = stopOnFirst
    w.startAll()
    w.run(until: s.healAt + SimSchedule.quiet)
    if !(stopOnFirst && w.checker.failed) {
        w.source.generating = false
        let limit = w.now + w.checker.deadline + 2 * w.tickInterval
        while w.now < limit, w.checker.oldest < w.checker.answers.count, !(stopOnFirst && w.checker.failed) {
            w.run(until: w.now + w.tickInterval)
        }
        w.checker.drained()
    }
    let events = w.events
    w.tearDown()
    return (w.checker, events)
}
