import FluidCluster
import FluidModel
import FluidTransport
import Foundation
import NIOConcurrencyHelpers

/// `fluid bench adaptive` (issue 14 item 7): one scripted scenario run three ways — fixed
/// HA, fixed HT, and the adaptive controller with a p99 SLO — through the real node
/// processes. The scenario, in seconds from its start (after the adaptive run's calibration):
///
/// | phase | seconds | offered (× HA capacity C) | fault |
/// |---|---|---|---|
/// | ramp-up | 0–10 | 0.1 → 1.5 in 1 s steps | |
/// | slow-worker | 10–20 | 0.5 | Worker 4× slower (`slow:worker=4`) |
/// | ramp-down | 20–30 | 1.5 → 0.1 | |
/// | master-failure | 30–36 | 0.3 | Master killed at 31, revived at 34 |
///
/// Every run first spends one second at the first rate (not counted). C is the `ha-100`
/// capacity the adaptive run calibrated; the fixed runs replay the same
/// rates. Per phase and overall, from the per-second samples: goodput (predictions/s),
/// accuracy, p99 (the worst second's), seconds in SLO violation (p99 over the SLO, or more
/// than 1 % of the second's answers *unavailable*), and `lost` from the summary.
public enum AdaptiveBench {
    public struct Options: Sendable {
        public var base: ClusterConfig
        public var sloP99Ms = 50.0
        /// The adaptive run uses `--mode auto` (the accuracy goal over HA and HT) instead
        /// of the SLO goal: the ramp then shows auto mode crossing HA's capacity both ways.
        public var autoMode = false
        /// Each node on its own core (`taskset`), as in the cluster and paper benches, and
        /// again after the Master's revival (a new process): a joint image needs both
        /// nodes in turn, and two nodes sharing a core stall each other.
        public var pinNodes = ProcessInfo.processInfo.activeProcessorCount >= 2
        /// Stretches every phase (1 = the table above).
        public var timeScale = 1.0
        public var progress: (@Sendable (String) -> Void)?
        public var command = CommandLine.arguments.joined(separator: " ")
        public init(base: ClusterConfig) { self.base = base }
    }

    public struct Phase: Codable, Sendable {
        public var name: String
        public var start: Double
        public var end: Double
        public var offered: Double
        public var goodput: Double
        public var accuracy: Double?
        public var p99Ms: Double?
        public var sloViolationS: Int
        public var plans: [String]
        enum CodingKeys: String, CodingKey {
            case name, start, end, offered, goodput, accuracy, plans
            case p99Ms = "p99_ms", sloViolationS = "slo_violation_s"
        }
    }

    public struct Run: Codable, Sendable {
        public var name: String
        public var goodput: Double
        public var accuracy: Double?
        public var p99Ms: Double?
        public var sloViolationS: Int
        public var lost: Int
        public var phases: [Phase]
        /// Per second: t (s from the scenario's start), offered, predictions, p99, plan.
        public var seconds: [Second]
        /// What the run decided and saw: plan wishes with their reasons, speed changes,
        /// plans served (t in s from the scenario's start; negative: before it).
        public var events: [Event] = []
        enum CodingKeys: String, CodingKey {
            case name, goodput, accuracy, lost, phases, seconds, events
            case p99Ms = "p99_ms", sloViolationS = "slo_violation_s"
        }
    }

    public struct Event: Codable, Sendable {
        public var t: Double
        /// "adapt", "speed" or "plan".
        public var event: String
        public var text: String
    }

    public struct Second: Codable, Sendable {
        public var t: Double
        public var offered: Double?
        public var throughput: Double
        public var p99Ms: Double?
        public var plan: String
        public var violation: Bool
        enum CodingKeys: String, CodingKey { case t, offered, throughput, plan, violation, p99Ms = "p99_ms" }
    }

    public struct Report: Codable, Sendable {
        public var format = "fluid-bench-adaptive"
        public var version = 1
        public var date: String
        public var machine: BenchMachine
        public var command: String
        public var sloP99Ms: Double
        public var haCapacity: Double
        public var runs: [Run]
        enum CodingKeys: String, CodingKey {
            case format, version, date, machine, command, runs
            case sloP99Ms = "slo_p99_ms", haCapacity = "ha_capacity"
        }

        package init(date: String, machine: BenchMachine, command: String, sloP99Ms: Double, haCapacity: Double, runs: [Run]) {
            self.date = date; self.machine = machine; self.command = command
            self.sloP99Ms = sloP99Ms; self.haCapacity = haCapacity; self.runs = runs
        }
    }

    /// (name, start, end, offered share of C at t − start).
    package static func phases(scale s: Double) -> [(name: String, start: Double, end: Double, share: @Sendable (Double) -> Double)] {
        [("ramp-up", 0, 10 * s, { t in 0.1 + 1.4 * min(1, (t / s).rounded(.down) / 9) }),
         ("slow-worker", 10 * s, 20 * s, { _ in 0.5 }),
         ("ramp-down", 20 * s, 30 * s, { t in 1.5 - 1.4 * min(1, (t / s).rounded(.down) / 9) }),
         ("master-failure", 30 * s, 36 * s, { _ in 0.3 })]
    }

    static func faults(scale s: Double) -> [(at: Double, fault: Fault)] {
        [(10 * s, Fault(slow: .worker, factor: 4)), (20 * s, Fault(.unslow, .worker)),
         (31 * s, Fault(.kill, .master)), (34 * s, Fault(.revive, .master))]
    }

    public static func run(_ o: Options) async throws -> Report {
        var machine = BenchMachine.current()
        machine.loadStart = BenchMachine.loadAverage()
        let date = ISO8601DateFormatter().string(from: Date())
        var runs: [Run] = []
        // The adaptive run first: its calibration measures C for all three.
        var capacity = 0.0
        for name in ["adaptive", "fixed-ha", "fixed-ht"] {
            var config = o.base
            config.kind = .fluid
            switch name {
            case "adaptive":
                if o.autoMode { config.mode = .auto } else { config.goal = .sloP99(ms: o.sloP99Ms); config.mode = .ha }
            case "fixed-ha": config.mode = .ha
            default: config.mode = .ht
            }
            config.rate = capacity > 0 ? 0.1 * capacity : 1_000
            o.progress?("\(name): starting")
            let (run, c) = try await runOne(name: name, config: config, capacity: capacity, o: o)
            if name == "adaptive" { capacity = c }
            o.progress?("\(name): goodput \(Int(run.goodput)) img/s, SLO violated \(run.sloViolationS) s, lost \(run.lost)")
            runs.append(run)
        }
        machine.loadEnd = BenchMachine.loadAverage()
        let order = ["fixed-ha", "fixed-ht", "adaptive"]
        runs.sort { order.firstIndex(of: $0.name)! < order.firstIndex(of: $1.name)! }
        return Report(date: date, machine: machine, command: o.command, sloP99Ms: o.sloP99Ms, haCapacity: capacity, runs: runs)
    }

    static func runOne(name: String, config: ClusterConfig, capacity known: Double, o: Options) async throws -> (Run, Double) {
        let samples = NIOLockedValueBox<[Sample]>([])
        let events = NIOLockedValueBox<[SessionEvent]>([])
        let c = try ClusterController(config: config, onEvent: { e in
            switch e.kind {
            case .adapt, .speed, .plan: events.withLockedValue { $0.append(e) }
            default: break
            }
        }, onSample: { s in samples.withLockedValue { $0.append(s) } })
        try await c.start()
        var pinned: [Int32?] = []
        func pin() {
            guard o.pinNodes else { return }
            let s = c.snapshot()
            let pids = [s.device(.master).pid, s.device(.worker).pid]
            if pids != pinned { CorePinning.pinNodes(c); pinned = pids }
        }
        pin()
        var capacity = known
        if config.goal != nil || config.mode == .auto {
            try await c.wait(until: { $0.adaptive?.calibrating == false }, timeout: 60, describe: { _ in "calibration did not end" })
            capacity = c.snapshot().model?.capacity(.ha100) ?? 0
            o.progress?("\(name): calibrated, ha-100 capacity \(Int(capacity)) img/s")
            guard capacity > 0 else { _ = await c.stop(); throw ClusterError.startTimeout("calibration measured no ha-100 capacity") }
        }
        let phases = Self.phases(scale: o.timeScale)
        // One second at the first rate before the scenario, in every run: the adaptive
        // run's calibration leaves a backlog of full-load requests that would otherwise
        // count against its first second.
        c.setRate(capacity * phases[0].share(0))
        try await Task.sleep(for: .seconds(1))
        let t0 = c.snapshot().t
        let start = ContinuousClock.now
        var faults = Self.faults(scale: o.timeScale)[...]
        let end = phases.last!.end
        var second = 0.0
        while second < end {
            let phase = phases.first { second >= $0.start && second < $0.end } ?? phases.last!
            c.setRate(capacity * phase.share(second - phase.start))
            while let f = faults.first, f.at <= second {
                try await Task.sleep(until: start + .seconds(f.at), clock: .continuous)
                c.inject(f.fault)
                faults = faults.dropFirst()
            }
            second += 1
            try await Task.sleep(until: start + .seconds(second), clock: .continuous)
            pin()
        }
        let summary = await c.stop()
        let all = samples.withLockedValue { $0 }
        var run = report(name: name, samples: all, t0: t0, capacity: capacity, slo: o.sloP99Ms, phases: phases, lost: summary.lost)
        run.events = events.withLockedValue { $0 }.compactMap { e in
            let t = ((e.t - t0) * 1000).rounded() / 1000
            switch e.kind {
            case .adapt(let wanted, _, let reason, _): return Event(t: t, event: "adapt", text: "\(wanted?.rawValue ?? "table"): \(reason)")
            case .speed(let d, let k, let reason): return Event(t: t, event: "speed", text: "\(d.rawValue) \(k.map { "SLOW ×\(String(format: "%.1f", $0))" } ?? "normal"): \(reason)")
            case .plan(let p, let reason, _, _, _): return Event(t: t, event: "plan", text: "\(p.rawValue): \(reason)")
            default: return nil
            }
        }
        return (run, capacity)
    }

    package static func report(name: String, samples: [Sample], t0: Double, capacity: Double, slo: Double,
                       phases: [(name: String, start: Double, end: Double, share: @Sendable (Double) -> Double)], lost: Int) -> Run {
        let end = phases.last!.end
        // A sample covers the second before its t.
        let seconds = samples.filter { $0.t - 1 >= t0 - 0.05 && $0.t - t0 <= end + 0.5 }.map { s -> Second in
            let answered = s.throughput + s.unavailablePerSecond
            let violation = (s.latencyP99Ms ?? 0) > slo || (answered > 0 && s.unavailablePerSecond / answered > 0.01)
            return Second(t: ((s.t - t0) * 1000).rounded() / 1000, offered: s.offeredRate, throughput: s.throughput,
                          p99Ms: s.latencyP99Ms, plan: s.plan.rawValue, violation: violation)
        }
        func summarize(_ xs: [(Second, Sample)]) -> (goodput: Double, accuracy: Double?, p99: Double?, violations: Int) {
            let predicted = xs.reduce(0.0) { $0 + $1.1.throughput }
            let correct = xs.reduce(0) { $0 + $1.1.correct }
            return (xs.isEmpty ? 0 : predicted / Double(xs.count), predicted > 0 ? Double(correct) / predicted : nil,
                    xs.compactMap(\.0.p99Ms).max(), xs.filter(\.0.violation).count)
        }
        let paired = zip(seconds, samples.filter { $0.t - 1 >= t0 - 0.05 && $0.t - t0 <= end + 0.5 }).map { ($0, $1) }
        var out: [Phase] = []
        for p in phases {
            let xs = paired.filter { $0.0.t > p.start + 0.5 && $0.0.t <= p.end + 0.5 }
            let m = summarize(xs)
            let offered = xs.compactMap(\.0.offered).reduce(0, +) / Double(max(1, xs.count))
            var plans: [String] = []
            for x in xs where plans.last != x.0.plan { plans.append(x.0.plan) }
            out.append(Phase(name: p.name, start: p.start, end: p.end, offered: offered, goodput: m.goodput, accuracy: m.accuracy,
                             p99Ms: m.p99, sloViolationS: m.violations, plans: plans))
        }
        let m = summarize(paired)
        return Run(name: name, goodput: m.goodput, accuracy: m.accuracy, p99Ms: m.p99, sloViolationS: m.violations, lost: lost,
                   phases: out, seconds: seconds)
    }
}

extension AdaptiveBench.Report {
    public func jsonData(pretty: Bool = true) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        return try enc.encode(self)
    }

    /// Whether the adaptive run is ahead as issue 14 states: no more SLO-violation seconds
    /// than fixed HT, fewer than fixed HA, accuracy above fixed HT's, nothing lost.
    public var checks: [(name: String, pass: Bool)] {
        guard let a = runs.first(where: { $0.name == "adaptive" }), let ha = runs.first(where: { $0.name == "fixed-ha" }),
              let ht = runs.first(where: { $0.name == "fixed-ht" }) else { return [] }
        return [("adaptive SLO-violation seconds ≤ fixed HT's (\(a.sloViolationS) ≤ \(ht.sloViolationS))", a.sloViolationS <= ht.sloViolationS),
                ("adaptive SLO-violation seconds < fixed HA's (\(a.sloViolationS) < \(ha.sloViolationS))", a.sloViolationS < ha.sloViolationS),
                ("adaptive accuracy > fixed HT's (\(pct(a.accuracy)) > \(pct(ht.accuracy)))", (a.accuracy ?? 0) > (ht.accuracy ?? 1)),
                ("lost = 0 in every run (\(runs.map { String($0.lost) }.joined(separator: ", ")))", runs.allSatisfy { $0.lost == 0 })]
    }

    func pct(_ x: Double?) -> String { x.map { String(format: "%.2f %%", $0 * 100) } ?? "–" }
    func ms(_ x: Double?) -> String { x.map { String(format: "%.1f", $0) } ?? "–" }

    public var markdown: String {
        var s = "# `fluid bench adaptive`\n\n"
        s += "\(date), \(machine.cpu), \(machine.cores) cores, load \(machine.loadStart.map { String($0) } ?? "?") → \(machine.loadEnd.map { String($0) } ?? "?"). "
        s += "SLO p99 \(Int(sloP99Ms)) ms; HA capacity C = \(Int(haCapacity)) img/s (the adaptive run's calibration). `\(command)`\n\n"
        s += "| run | goodput img/s | accuracy | p99 ms (worst second) | SLO-violation s | lost |\n|---|---:|---:|---:|---:|---:|\n"
        for r in runs { s += "| \(r.name) | \(Int(r.goodput)) | \(pct(r.accuracy)) | \(ms(r.p99Ms)) | \(r.sloViolationS) | \(r.lost) |\n" }
        s += "\nPer phase (goodput img/s · accuracy · worst p99 ms · SLO-violation s; plans served):\n\n"
        s += "| phase | offered img/s | " + runs.map(\.name).joined(separator: " | ") + " |\n|---|---:|" + runs.map { _ in "---|" }.joined() + "\n"
        for (i, p) in (runs.first?.phases ?? []).enumerated() {
            s += "| \(p.name) | \(Int(p.offered)) | "
            s += runs.map { r in
                let q = r.phases[i]
                return "\(Int(q.goodput)) · \(pct(q.accuracy)) · \(ms(q.p99Ms)) · \(q.sloViolationS) s; \(q.plans.joined(separator: "→"))"
            }.joined(separator: " | ") + " |\n"
        }
        s += "\n" + checks.map { "- \($0.pass ? "✓" : "✗") \($0.name)" }.joined(separator: "\n") + "\n"
        if let a = runs.first(where: { $0.name == "adaptive" }) {
            let decisions = a.events.filter { $0.event != "plan" && $0.t >= 0 }
            if !decisions.isEmpty {
                s += "\nThe adaptive run's decisions and speed changes (s from the scenario's start):\n\n"
                for e in decisions { s += "- \(String(format: "%.2f", e.t)) \(e.event) \(e.text)\n" }
            }
        }
        return s
    }

    /// Throughput per second of each run against the offered rate, SLO-violation seconds
    /// marked under each run's line.
    public var svg: String {
        let w = 760.0, h = 360.0, left = 60.0, right = 20.0, top = 30.0, plotH = 220.0
        let tMax = max(1, runs.flatMap { $0.seconds.map(\.t) }.max() ?? 1)
        let yMax = max(1, runs.flatMap { $0.seconds.flatMap { [$0.throughput, $0.offered ?? 0] } }.max() ?? 1) * 1.05
        func x(_ t: Double) -> Double { left + (w - left - right) * t / tMax }
        func y(_ v: Double) -> Double { top + plotH * (1 - v / yMax) }
        let colors = ["fixed-ha": "#1f77b4", "fixed-ht": "#ff7f0e", "adaptive": "#2ca02c"]
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(left)\" y=\"18\" font-size=\"13\">fluid bench adaptive: predictions/s per second (SLO p99 \(Int(sloP99Ms)) ms; red ticks: seconds in violation)</text>\n"
        s += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(w - right)\" y2=\"\(top + plotH)\" stroke=\"#888\"/>\n"
        for k in 0...4 {
            let v = yMax * Double(k) / 4
            s += "<text x=\"\(left - 4)\" y=\"\(y(v) + 4)\" text-anchor=\"end\">\(Int(v / 1000))k</text>\n"
        }
        if let offered = runs.first?.seconds {
            let pts = offered.compactMap { p in p.offered.map { "\(x(p.t)),\(y($0))" } }.joined(separator: " ")
            s += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n"
        }
        for (i, r) in runs.enumerated() {
            let color = colors[r.name] ?? "black"
            let pts = r.seconds.map { "\(x($0.t)),\(y($0.throughput))" }.joined(separator: " ")
            s += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"/>\n"
            let row = top + plotH + 24 + Double(i) * 22
            s += "<text x=\"\(left - 4)\" y=\"\(row + 4)\" text-anchor=\"end\" fill=\"\(color)\">\(r.name)</text>\n"
            s += "<line x1=\"\(left)\" y1=\"\(row)\" x2=\"\(w - right)\" y2=\"\(row)\" stroke=\"\(color)\" stroke-opacity=\"0.3\"/>\n"
            for sec in r.seconds where sec.violation {
                s += "<rect x=\"\(x(sec.t - 1))\" y=\"\(row - 6)\" width=\"\(max(1, x(sec.t) - x(sec.t - 1)))\" height=\"12\" fill=\"#d62728\"/>\n"
            }
        }
        s += "<text x=\"\(w - right)\" y=\"\(h - 6)\" text-anchor=\"end\">seconds from the scenario's start (dashed: offered)</text>\n"
        return s + "</svg>\n"
    }
}
