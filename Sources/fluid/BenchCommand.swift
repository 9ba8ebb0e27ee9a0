import ArgumentParser
import Foundation
import FluidCluster
import FluidBench
import FluidModel
import FluidTransport
import Logging

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: kernels (single-thread SIMD core), cluster, paper (Fig. 2 online), adaptive.",
        discussion: """
        kernels: forward and training throughput of the SIMD kernels on one thread.

        cluster: every plan's throughput on loopback, HA efficiency, HT scaling, and detection, \
        resume and redeploy times over repeated kill and hang faults (Fluid weights).

        paper: the paper's Fig. 2 through the real node processes: Static, Dynamic, Fluid × \
        Master only, Worker only, both HA, both HT, on loopback and on an emulated Wi-Fi link; \
        writes paper.md, paper.json and paper.svg to --out.

        adaptive: one scenario (load ramping 10 % → 150 % of HA capacity and back, the Worker \
        4× slower for 10 s, the Master killed and revived) run as fixed HA, fixed HT and the \
        adaptive controller with --slo-p99; writes adaptive.md, adaptive.json, adaptive.svg to --out.

        Progress goes to stderr; the table (or --json) to stdout.
        """)

    enum Suite: String, ExpressibleByArgument, CaseIterable {
        case kernels, cluster, paper, adaptive
    }

    @Argument(help: "kernels | cluster | paper | adaptive") var suite: Suite
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Option(parsing: .unconditional, help: "kernels (default 3) / paper (default 2): measurement passes; each figure is the best of them.") var rounds: Int?
    @Option(help: "paper/adaptive: folder for the .md, .json and .svg ('' writes nothing)") var out = "results"
    @Option(parsing: .unconditional, help: "adaptive: the p99 latency SLO, ms") var sloP99 = 50.0
    @Option(parsing: .unconditional, help: "adaptive: stretch every phase of the scenario by this factor") var timeScale = 1.0
    @Flag(help: "adaptive: the adaptive run uses --mode auto (HA or HT for the offered rate) instead of the SLO goal") var auto = false
    @Option(help: "paper: kinds, comma-separated") var kinds = "static,dynamic,fluid"
    @Option(help: "paper: links, comma-separated (loopback, wifi-edge)") var links = "loopback,wifi-edge"
    @Option(parsing: .unconditional, help: "paper/cluster: seconds of warm-up per row") var warmup: Double?
    @Option(parsing: .unconditional, help: "paper/cluster: seconds of the measuring window per row") var window: Double?
    @Option(parsing: .unconditional, help: "paper: predictions the accuracy is taken over (10000 = the test set)") var accuracyImages = 10_000
    @Option(parsing: .unconditional, help: "paper: at most this many seconds per row for the accuracy") var accuracyCap = 20.0
    @Option(parsing: .unconditional, help: "paper: one-way latency of the wifi-edge link, ms") var edgeLatency = BenchLink.edge.latencyMs
    @Option(parsing: .unconditional, help: "paper: bandwidth of the wifi-edge link, Mbit/s") var edgeBandwidth = BenchLink.edge.bandwidthMbit ?? 40
    @Option(parsing: .unconditional, help: "cluster: faults per device and kind of fault") var faultRepeats = 8
    @Flag(help: "paper/cluster/adaptive: do not pin each node to its own core") var noPin = false
    @Option(parsing: .unconditional, help: "paper/cluster: images per request frame on loopback (fewer, larger frames keep the source light)") var batch = 128
    @Option(parsing: .unconditional, help: "paper: images per request frame on the wifi-edge link") var edgeBatch = BenchLink.edge.batch ?? 64
    @Option(parsing: .unconditional, help: "paper/cluster: request frames in flight per device") var frames = 8
    @Option(help: "Folder of the weight files <kind>.safetensors") var models = "Assets/models"
    @Option(help: "MNIST folder (default: $FLUID_DATA, ./data/mnist, $MNIST_DIR)") var data: String?
    @Option(help: "Folder for the nodes' logs (default: discard)") var nodeLogs: String?
    @Option(help: "paper/cluster: folder from `fluid keygen`: TLS 1.3 with role certificates on every connection") var tls: String?

    func validate() throws {
        if let r = rounds { try CLICheck.range("--rounds", r, 1...100) }
        if let w = warmup { try CLICheck.range("--warmup", w, 0...3_600, unit: "s") }
        if let w = window { try CLICheck.range("--window", w, 0.2...3_600, unit: "s") }
        try CLICheck.range("--accuracy-images", accuracyImages, 1...1_000_000)
        try CLICheck.range("--accuracy-cap", accuracyCap, 0.1...3_600, unit: "s")
        try CLICheck.range("--edge-latency", edgeLatency, 0...60_000, unit: "ms")
        try CLICheck.range("--edge-bandwidth", edgeBandwidth, 0.001...1_000_000, unit: "Mbit/s")
        try CLICheck.range("--fault-repeats", faultRepeats, 1...1_000)
        try CLICheck.range("--batch", batch, 1...Message.maxBatch, why: "a node computes at most \(Message.maxBatch) images per go")
        try CLICheck.range("--edge-batch", edgeBatch, 1...Message.maxBatch, why: "a node computes at most \(Message.maxBatch) images per go")
        try CLICheck.range("--frames", frames, 1...CLICheck.maxWindow)
        try CLICheck.range("--slo-p99", sloP99, 1...60_000, unit: "ms")
        try CLICheck.range("--time-scale", timeScale, 0.2...100)
    }

    func run() async throws {
        switch suite {
        case .kernels:
            let report = KernelBench.run(rounds: rounds ?? 3)
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys]
                print(String(decoding: try enc.encode(report), as: UTF8.self))
            } else {
                print(KernelBench.table(report), terminator: "")
            }
        case .paper:
            try await runPaper()
        case .cluster:
            try await runCluster()
        case .adaptive:
            try await runAdaptive()
        }
    }

    func runAdaptive() async throws {
        var base = try baseConfig()
        // The defaults of `fluid run` (32-image frames): the SLO is about latency, and a
        // 128-image frame alone takes several ms in HA.
        if batch == 128 { base.batchSize = 32 }
        var o = AdaptiveBench.Options(base: base)
        o.sloP99Ms = sloP99
        o.timeScale = timeScale
        o.autoMode = auto
        if noPin { o.pinNodes = false }
        o.progress = { BenchCommand.progress($0) }
        BenchCommand.progress("bench adaptive: fixed HA, fixed HT, adaptive (slo-p99 \(sloP99) ms); load average \(BenchMachine.loadAverage().map { String($0) } ?? "?")")
        let report: AdaptiveBench.Report
        do { report = try await AdaptiveBench.run(o) } catch { throw CommandFailure(message: "bench adaptive: \(error)") }
        if !out.isEmpty {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let dir = out as NSString
            try report.jsonData().write(to: URL(fileURLWithPath: dir.appendingPathComponent("adaptive.json")))
            try Data(report.markdown.utf8).write(to: URL(fileURLWithPath: dir.appendingPathComponent("adaptive.md")))
            try Data(report.svg.utf8).write(to: URL(fileURLWithPath: dir.appendingPathComponent("adaptive.svg")))
            BenchCommand.progress("wrote \(out)/adaptive.md, adaptive.json, adaptive.svg")
        }
        if json {
            print(String(decoding: try report.jsonData(pretty: false), as: UTF8.self))
        } else {
            print(report.markdown, terminator: "")
        }
        for c in report.checks where !c.pass { BenchCommand.progress("CHECK FAILED: \(c.name)") }
    }

    func baseConfig() throws -> ClusterConfig {
        guard let dir = data ?? MNIST.defaultDirectory() else {
            throw CommandFailure(message: "no MNIST data found (tried \(MNIST.candidateDirectories().joined(separator: ", "))); run `make data` or pass --data DIR")
        }
        var config = ClusterConfig(kind: .fluid, testSet: try MNIST.load(directory: dir, split: .test),
                                   logger: .stderr(label: "fluid.bench", level: .error))
        config.weightsDirectory = models
        guard (1...256).contains(batch), frames >= 1 else {
            throw ValidationError("--batch 1…256 (a node computes at most 256 per go), --frames ≥ 1")
        }
        config.batchSize = batch
        config.windowBatches = frames
        for k in ModelKind.allCases where !FileManager.default.fileExists(atPath: config.weightsPath(for: k)) {
            throw CommandFailure(message: "weight file '\(config.weightsPath(for: k))' not found (run from the package root or pass --models)")
        }
        try config.applyCLI(nodeLogs: nodeLogs)
        if let tls { do { try config.useTLS(directory: tls) } catch { throw CommandFailure(error) } }
        return config
    }

    static func progress(_ line: String) {
        FileHandle.standardError.write(Data("  \(line)\n".utf8))
    }

    func runPaper() async throws {
        var o = PaperBench.Options(base: try baseConfig())
        o.kinds = try kinds.split(separator: ",").map {
            guard let k = ModelKind(rawValue: $0.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--kinds: '\($0)' is not static, dynamic or fluid")
            }
            return k
        }
        let edge: BenchLink
        guard (1...256).contains(edgeBatch) else { throw ValidationError("--edge-batch 1…256") }
        do { edge = BenchLink(name: BenchLink.edge.name, shape: try LinkShape(latencyMs: edgeLatency, bandwidthMbit: edgeBandwidth), batch: edgeBatch) } catch {
            throw ValidationError("\(error)")
        }
        o.links = try links.split(separator: ",").map {
            switch $0.trimmingCharacters(in: .whitespaces) {
            case BenchLink.loopback.name: return BenchLink.loopback
            case edge.name: return edge
            default: throw ValidationError("--links: '\($0)' is not loopback or \(edge.name)")
            }
        }
        if let w = warmup { o.warmup = max(0, w) }
        if let w = window { o.window = max(0.2, w) }
        o.accuracyImages = max(0, accuracyImages)
        o.accuracyCap = max(o.window, accuracyCap)
        if noPin { o.pinNodes = false }
        o.rounds = max(1, rounds ?? 2)
        o.progress = BenchCommand.progress
        BenchCommand.progress("bench paper: \(o.kinds.count) kinds × \(o.links.count) links × 4 scenarios; load average \(BenchMachine.loadAverage().map { String($0) } ?? "?")")
        let report = await PaperBench.run(o)
        if !out.isEmpty {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try report.jsonData().write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("paper.json")))
            try Data(report.markdown.utf8).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("paper.md")))
            try Data(PaperChart.svg(report).utf8).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("paper.svg")))
            BenchCommand.progress("wrote \(out)/paper.md, paper.json, paper.svg")
        }
        if json {
            print(String(decoding: try report.jsonData(pretty: false), as: UTF8.self))
        } else {
            print(report.markdown, terminator: "")
        }
        for c in report.checks where !c.pass {
            BenchCommand.progress("CHECK FAILED [\(c.link)] \(c.name): \(c.ours) (paper: \(c.paper))")
        }
    }

    func runCluster() async throws {
        var o = ClusterBench.Options(base: try baseConfig())
        if let w = warmup { o.warmup = max(0, w) }
        if let w = window { o.window = max(0.2, w) }
        o.faultRepeats = max(1, faultRepeats)
        if noPin { o.pinNodes = false }
        o.progress = BenchCommand.progress
        let report: ClusterBench.Report
        do { report = try await ClusterBench.run(o) } catch { throw CommandFailure(message: "bench cluster: \(error)") }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        } else {
            print(report.table, terminator: "")
        }
    }
}
