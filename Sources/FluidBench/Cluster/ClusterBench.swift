import FluidCluster
import FluidModel
import FluidTransport
import Foundation

/// `fluid bench cluster` (issue 5 item 11): the throughput of every plan the controller
/// can put in place on loopback, HA efficiency, HT scaling, and detection / resume /
/// redeploy times over repeated kill and hang faults of each device. Fluid weights (the
/// only kind with every plan).
public enum ClusterBench {
    public struct Options {
        public var base: ClusterConfig
        public var warmup = 1.5
        public var window = 4.0
        /// Faults per (device, kill|hang).
        public var faultRepeats = 8
        /// Each node on its own core for the throughput rows (`CorePinning`).
        public var pinNodes = ProcessInfo.processInfo.activeProcessorCount >= 2
        public var progress: ((String) -> Void)?
        public var command = CommandLine.arguments.joined(separator: " ")
        public init(base: ClusterConfig) { self.base = base }
    }

    public struct PlanRow: Codable, Sendable {
        public var plan: String
        public var imgPerS: Double
        public var accuracy: Double?
        public var cpuSource: Double
        public var cpuMaster: Double?
        public var cpuWorker: Double?
        enum CodingKeys: String, CodingKey {
            case plan, accuracy, imgPerS = "img_per_s", cpuSource = "cpu_source", cpuMaster = "cpu_master", cpuWorker = "cpu_worker"
        }
    }

    public struct FaultStats: Codable, Sendable {
        public var device: String
        public var fault: String
        public var count: Int
        public var detectP50Ms: Double?
        public var detectP99Ms: Double?
        public var resumeP50Ms: Double?
        public var resumeP99Ms: Double?
        /// revive / resume → the full plan re-deployed.
        public var redeployP50Ms: Double?
        public var redeployP99Ms: Double?
        public var errors: [String]
        enum CodingKeys: String, CodingKey {
            case device, fault, count, errors
            case detectP50Ms = "detect_p50_ms", detectP99Ms = "detect_p99_ms", resumeP50Ms = "resume_p50_ms"
            case resumeP99Ms = "resume_p99_ms", redeployP50Ms = "redeploy_p50_ms", redeployP99Ms = "redeploy_p99_ms"
        }
    }

    public struct Report: Codable, Sendable {
        public var format = "fluid-bench-cluster"
        public var version = 1
        public var date: String
        public var machine: BenchMachine
        public var command: String
        public var plans: [PlanRow]
        /// Not forced: the planner deploys `ha-75` only when it trades accuracy for speed.
        public var missingPlans: [String]
        /// One device running `100` alone (in-process SubnetEngine, one thread).
        public var singleDevice100ImgPerS: Double
        public var singleDevice50ImgPerS: Double
        /// HA-100 ÷ (2 × single-device 100); target ≥ 0.8.
        public var haEfficiency: Double?
        /// HT-50+u50 ÷ solo-50; target ≥ 1.9.
        public var htScaling: Double?
        public var faults: [FaultStats]
        /// Source CPU seconds ÷ wall seconds over the fault run.
        public var sourceCPUShare: Double?
        public var lost: [Int]

        enum CodingKeys: String, CodingKey {
            case format, version, date, machine, command, plans, faults, lost
            case missingPlans = "missing_plans", singleDevice100ImgPerS = "single_device_100_img_per_s"
            case singleDevice50ImgPerS = "single_device_50_img_per_s", haEfficiency = "ha_efficiency"
            case htScaling = "ht_scaling", sourceCPUShare = "source_cpu_share"
        }
    }

    public static func run(_ o: Options) async throws -> Report {
        var machine = BenchMachine.current()
        let date = ISO8601DateFormatter().string(from: Date())
        var config = o.base
        config.kind = .fluid
        config.link = LinkShape()
        config.rate = nil
        var plans: [PlanRow] = []
        var lost: [Int] = []

        // Cluster A: ha-100 → ht-50+u50 → solo-50 (Worker killed).
        config.mode = .ha
        let a = try ClusterController(config: config)
        try await a.start()
        if o.pinNodes { CorePinning.pinNodes(a) }
        for (step, plan) in [(0, Plan.ha100), (1, .ht), (2, .solo50)] {
            switch step {
            case 1: a.setMode(.ht)
            case 2: a.inject(Fault(.kill, .worker))
            default: break
            }
            try await BenchProbe.waitForPlan(a, plan, down: step == 2 ? [.worker] : [])
            plans.append(await row(plan, a, o))
        }
        lost.append(await a.stop().lost)
        // Cluster B: solo-u50 (Master killed).
        config.mode = .ht
        let b = try ClusterController(config: config)
        try await b.start()
        if o.pinNodes { CorePinning.pinNodes(b) }
        b.inject(Fault(.kill, .master))
        try await BenchProbe.waitForPlan(b, .soloU50, down: [.master])
        plans.append(await row(.soloU50, b, o))
        lost.append(await b.stop().lost)

        let weights = try ModelFile.load(path: config.weightsPath(for: .fluid)).weights
        let one100 = singleDevice(weights, .s100, config.testSet, seconds: o.window)
        let one50 = singleDevice(weights, .s50, config.testSet, seconds: o.window)
        o.progress?("single device (in-process, one thread): 100 \(PaperChecks.fmt(one100)) img/s, 50 \(PaperChecks.fmt(one50)) img/s")
        let ha = plans.first { $0.plan == Plan.ha100.rawValue }?.imgPerS
        let ht = plans.first { $0.plan == Plan.ht.rawValue }?.imgPerS
        let solo = plans.first { $0.plan == Plan.solo50.rawValue }?.imgPerS

        // Fault cycles on a Fluid HA cluster.
        config.mode = .ha
        let c = try ClusterController(config: config)
        try await c.start()
        var stats: [FaultStats] = []
        for device in Role.allCases {
            for action in [Fault.Action.kill, .hang] {
                stats.append(await faultCycles(c, device: device, action: action, repeats: o.faultRepeats, progress: o.progress))
            }
        }
        let summary = await c.stop()
        lost.append(summary.lost)
        machine.loadEnd = BenchMachine.loadAverage()
        return Report(date: date, machine: machine, command: o.command, plans: plans, missingPlans: [Plan.ha75.rawValue],
                      singleDevice100ImgPerS: one100, singleDevice50ImgPerS: one50,
                      haEfficiency: ha.map { $0 / (2 * one100) }, htScaling: ht.flatMap { h in solo.map { h / $0 } },
                      faults: stats, sourceCPUShare: summary.sourceCPUShare, lost: lost)
    }

    static func row(_ plan: Plan, _ c: ClusterController, _ o: Options) async -> PlanRow {
        let m = await BenchProbe.measure(c, warmup: o.warmup, window: o.window, accuracyImages: 0, accuracyCap: 0)
        let r = PlanRow(plan: m.plan, imgPerS: m.imagesPerSecond, accuracy: m.accuracy, cpuSource: m.cpuSource,
                        cpuMaster: m.cpuMaster, cpuWorker: m.cpuWorker)
        o.progress?("\(plan.rawValue): \(PaperChecks.fmt(r.imgPerS)) img/s (ran \(r.plan)), cpu src \(PaperChecks.fmt(r.cpuSource, 2))")
        return r
    }

    /// `repeats` × (fault, wait for the failover to answer, revive/resume, wait for the full
    /// plan again).
    static func faultCycles(_ c: ClusterController, device: Role, action: Fault.Action, repeats: Int,
                            progress: ((String) -> Void)?) async -> FaultStats {
        var detect: [Double] = [], resume: [Double] = [], redeploy: [Double] = [], errors: [String] = []
        let full = Planner.plan(kind: c.kind, alive: [.master, .worker], mode: .ha)
        for _ in 0..<repeats {
            do {
                try await BenchProbe.waitForPlan(c, full, timeout: 10)
                try await Task.sleep(nanoseconds: 300_000_000)
                let before = c.snapshot()
                c.inject(Fault(action, device))
                try await BenchProbe.wait(c, for: "failover of \(device.rawValue)", timeout: 5) { s in
                    s.failovers.count > before.failovers.count && s.failovers.last?.resumeMs != nil
                }
                if let f = c.snapshot().failovers.last {
                    if let d = f.detectMs { detect.append(d) }
                    if let r = f.resumeMs { resume.append(r) }
                }
                c.inject(Fault(action == .kill ? .revive : .resume, device))
                try await BenchProbe.wait(c, for: "recovery of \(device.rawValue)", timeout: 5) { s in
                    s.recoveries.count > before.recoveries.count
                }
                if let r = c.snapshot().recoveries.last { redeploy.append(r.redeployMs) }
            } catch {
                errors.append("\(error)")
                // Bring the device back whatever happened, for the next cycle.
                c.inject(Fault(.revive, device))
            }
        }
        let s = FaultStats(device: device.rawValue, fault: action.rawValue, count: detect.count,
                           detectP50Ms: percentile(detect, 0.5), detectP99Ms: percentile(detect, 0.99),
                           resumeP50Ms: percentile(resume, 0.5), resumeP99Ms: percentile(resume, 0.99),
                           redeployP50Ms: percentile(redeploy, 0.5), redeployP99Ms: percentile(redeploy, 0.99), errors: errors)
        progress?("\(action.rawValue) \(device.rawValue) ×\(detect.count): detect p50 \(ms(s.detectP50Ms)) p99 \(ms(s.detectP99Ms)), "
                  + "resume p50 \(ms(s.resumeP50Ms)) p99 \(ms(s.resumeP99Ms)), redeploy p50 \(ms(s.redeployP50Ms)) p99 \(ms(s.redeployP99Ms))"
                  + (errors.isEmpty ? "" : ", \(errors.count) errors: \(errors.first!)"))
        return s
    }

    /// One device running `subnet` alone, in this process on this thread, over the test set.
    /// Best of five slices of `seconds`, so a burst of other work on the machine does not
    /// pass for the device's speed.
    static func singleDevice(_ w: CNNWeights, _ subnet: Subnet, _ set: MNISTSet, seconds: Double) -> Double {
        (0..<5).map { _ in singleDeviceOnce(w, subnet, set, seconds: seconds / 5) }.max() ?? 0
    }

    static func singleDeviceOnce(_ w: CNNWeights, _ subnet: Subnet, _ set: MNISTSet, seconds: Double) -> Double {
        let batch = 32
        let engine = SubnetEngine(weights: w, subnet: subnet, maxBatch: batch)
        var labels = [Int32](repeating: 0, count: batch)
        let start = Date()
        var done = 0, i = 0
        set.images.withUnsafeBufferPointer { px in
            labels.withUnsafeMutableBufferPointer { out in
                while Date().timeIntervalSince(start) < seconds {
                    let n = min(batch, set.count - i)
                    engine.predict(images: px.baseAddress! + i * CNN.imagePixels, count: n, into: out.baseAddress!)
                    done += n
                    i = (i + n) % set.count
                }
            }
        }
        return Double(done) / Date().timeIntervalSince(start)
    }

    /// Nearest-rank percentile (nil when empty).
    static func percentile(_ xs: [Double], _ p: Double) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        return s[min(s.count - 1, max(0, Int((p * Double(s.count)).rounded(.up)) - 1))]
    }

    static func ms(_ x: Double?) -> String { x.map { "\(PaperChecks.fmt($0)) ms" } ?? "—" }
}

extension ClusterBench.Report {
    public var table: String {
        var t = "Plans on loopback (Fluid weights, source unthrottled):\n"
        for p in plans {
            t += "  \(p.plan.padding(toLength: 10, withPad: " ", startingAt: 0)) \(PaperChecks.fmt(p.imgPerS)) img/s"
            t += "   cpu: source \(PaperChecks.fmt(p.cpuSource, 2)), master \(p.cpuMaster.map { PaperChecks.fmt($0, 2) } ?? "—"), worker \(p.cpuWorker.map { PaperChecks.fmt($0, 2) } ?? "—")\n"
        }
        t += "  not measured: \(missingPlans.joined(separator: ", ")) (the planner does not deploy it on demand)\n"
        t += "One device alone, in-process, one thread: 100 \(PaperChecks.fmt(singleDevice100ImgPerS)) img/s, 50 \(PaperChecks.fmt(singleDevice50ImgPerS)) img/s\n"
        t += "HA efficiency = HA-100 ÷ (2 × one device's 100) = \(haEfficiency.map { PaperChecks.fmt($0, 2) } ?? "—") (target ≥ 0.8)\n"
        t += "HT scaling = HT-50+u50 ÷ solo-50 = \(htScaling.map { PaperChecks.fmt($0, 2) } ?? "—") (target ≥ 1.9)\n"
        t += "Faults (Fluid, HA; detect = fault → declared down, resume = fault → first answer after, redeploy = revive/resume → full plan):\n"
        for f in faults {
            t += "  \(f.fault) \(f.device) ×\(f.count): detect p50 \(ClusterBench.ms(f.detectP50Ms)) p99 \(ClusterBench.ms(f.detectP99Ms)); "
            t += "resume p50 \(ClusterBench.ms(f.resumeP50Ms)) p99 \(ClusterBench.ms(f.resumeP99Ms)); "
            t += "redeploy p50 \(ClusterBench.ms(f.redeployP50Ms)) p99 \(ClusterBench.ms(f.redeployP99Ms))"
            t += f.errors.isEmpty ? "\n" : " — \(f.errors.count) failed: \(f.errors[0])\n"
        }
        t += "Source CPU share (fault run): \(sourceCPUShare.map { PaperChecks.fmt($0, 3) } ?? "—"); lost per run: \(lost)\n"
        t += "\(date), \(machine.cpu), \(machine.cores) cores, load \(machine.loadStart.map { PaperChecks.fmt($0, 2) } ?? "?") → \(machine.loadEnd.map { PaperChecks.fmt($0, 2) } ?? "?")\n"
        return t
    }
}
