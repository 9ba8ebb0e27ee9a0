import ArgumentParser
import Foundation
import FluidCluster
import FluidModel
import FluidTransport
import Logging
import NIOConcurrencyHelpers

/// `fluid run --headless`: the cluster without a screen, JSON Lines on stdout (docs/cli.md).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the two-device cluster headless and print a JSON Lines session log.",
        discussion: """
        Starts two `fluid node` processes on loopback, streams the MNIST test set to them,
        injects the faults of --faults with real signals (kill = SIGKILL, hang = SIGSTOP,
        resume = SIGCONT, revive = start again) and prints a header, one sample per second,
        events and a summary. Example:
          fluid run --headless --kind fluid --duration 10 --faults kill:master@3,revive:master@6
        """)

    @Flag(help: "Required: no dashboard.") var headless = false
    @Option(help: "static, dynamic or fluid") var kind: ModelKind = .fluid
    @Option(help: "ha, ht or auto") var mode: ModeSetting = .ha
    @Option(parsing: .unconditional, help: "Seconds of traffic") var duration: Double = 10
    @Option(help: "ACTION:DEVICE@SECONDS,… (ACTION kill|hang|resume|revive|unslow, DEVICE master|worker; slow:DEVICE=K@SECONDS; or cut|heal:LINK@SECONDS, LINK master-worker|source-master|source-worker)") var faults: String = ""
    @Option(help: "Pin a plan of the kind's menu (ha-100, ha-75, ht-50+u50, ht-25+u25, ht-50+u25, ht-25+u50, solo-50, solo-25, solo-u50, solo-u25)") var plan: String?
    @Option(help: "Adaptive controller goal: accuracy, throughput (with --min-accuracy) or slo-p99 (with --slo-p99)") var goal: String?
    @Option(parsing: .unconditional, help: "p99 latency SLO, ms (implies --goal slo-p99)") var sloP99: Double?
    @Option(parsing: .unconditional, help: "Least accuracy for --goal throughput, percent") var minAccuracy: Double?
    @Option(parsing: .unconditional, help: "Longest a request waits before it is answered unavailable, ms (1-60000)") var requestDeadline: Double = 1000
    @Option(parsing: .unconditional, help: "Offered images/s (default: as fast as the cluster takes)") var rate: Double?
    @Option(help: "Also write the JSON Lines to this file") var log: String?
    @Option(help: "Folder of the weight files <kind>.safetensors") var models: String = "Assets/models"
    @Option(help: "Weight file (overrides --models for --kind)") var weights: String?
    @Option(help: "MNIST folder (default: $FLUID_DATA, ./data/mnist, $MNIST_DIR)") var data: String?
    @Option(help: "Folder for the nodes' logs (default: discard)") var nodeLogs: String?
    @Option(parsing: .unconditional, help: "Images per request frame") var batch: Int = 32
    @Option(parsing: .unconditional, help: "Request frames in flight per device") var window: Int = 8
    @Option(parsing: .unconditional, help: "Emulated one-way delay on the Master ↔ Worker link, ms") var linkLatency: Double = 0
    @Option(parsing: .unconditional, help: "Emulated Master ↔ Worker bandwidth, Mbit/s (default: unlimited)") var linkBandwidth: Double?
    @Option(help: "Folder from `fluid keygen`: TLS 1.3 with role certificates on every connection (the spawned nodes get it too)") var tls: String?
    @Option(help: .hidden) var secretFile: String?
    @Option(help: "Drive nodes started elsewhere instead of spawning: master=HOST:PORT,worker=HOST:PORT (no --faults)") var attach: String?

    func validate() throws {
        guard headless else { throw ValidationError("only --headless is supported by `fluid run`; use `fluid demo` for the dashboard") }
        if secretFile != nil { throw ValidationError(TLSSetupError.secretFileRemoved.description) }
        try CLICheck.range("--duration", duration, 0.001...CLICheck.maxSeconds, unit: "s")
        try CLICheck.range("--request-deadline", requestDeadline, 1...60_000, unit: "ms")
        if let r = rate { try CLICheck.range("--rate", r, CLICheck.rates, unit: "images/s") }
        if attach != nil, !faults.isEmpty { throw ValidationError("--faults signal nodes this command started; not with --attach") }
        try CLICheck.range("--batch", batch, 1...Message.maxBatch, why: "a node computes at most \(Message.maxBatch) images per go")
        try CLICheck.range("--window", window, 1...CLICheck.maxWindow)
        try CLICheck.range("--link-latency", linkLatency, 0...60_000, unit: "ms")
        if let b = linkBandwidth { try CLICheck.range("--link-bandwidth", b, 0.001...1_000_000, unit: "Mbit/s") }
        do {
            if let late = try FaultSpec.parse(faults).first(where: { $0.at >= duration }) {
                throw ValidationError("fault \(late.fault)@\(late.at) comes at or after --duration \(duration) s: it would never happen")
            }
        } catch let e as FaultSpecError { throw ValidationError("\(e)") }
        do { _ = try LinkShape(latencyMs: linkLatency, bandwidthMbit: linkBandwidth) } catch { throw ValidationError("\(error)") }
        _ = try policy()
    }

    func policy() throws -> (plan: Plan?, goal: Goal?) {
        try PolicyOptions.resolve(kind: kind, mode: mode, plan: plan, goal: goal, sloP99: sloP99, minAccuracy: minAccuracy)
    }

    func run() async throws {
        let k = kind
        let schedule = try FaultSpec.parse(faults)
        guard let dir = data ?? MNIST.defaultDirectory() else {
            throw CommandFailure(message: "no MNIST data found (tried \(MNIST.candidateDirectories().joined(separator: ", "))); run `make data` or pass --data DIR")
        }
        let testSet = try MNIST.load(directory: dir, split: .test)
        var config = ClusterConfig(kind: k, testSet: testSet, logger: .stderr(label: "fluid.run", level: .warning))
        config.mode = mode
        (config.plan, config.goal) = try policy()
        config.rate = rate
        config.requestDeadline = .milliseconds(Int64(requestDeadline))
        config.weightsDirectory = models
        if let w = weights { config.weightsOverride[k] = w }
        config.batchSize = batch
        config.windowBatches = window
        config.link = try LinkShape(latencyMs: linkLatency, bandwidthMbit: linkBandwidth)
        try config.applyCLI(nodeLogs: nodeLogs)
        do { try tls.map { try config.useTLS(directory: $0) }; try attach.map { try config.attach(spec: $0) } } catch {
            throw CommandFailure(error)
        }
        let weightsPath = config.weightsPath(for: k)
        // The nodes load this file; a bad one is reported here with its real reason, not
        // as a node that died at start (whose log may be discarded).
        let sha: String
        do { sha = try ModelFile.load(path: weightsPath).sha256 } catch { throw CommandFailure(error) }

        let out = try JSONLinesWriter(logPath: log)
        let controller = try ClusterController(config: config, onEvent: { out.write($0.json) }, onSample: { out.write($0.json) })
        let stop = SignalStop()

        out.write(SessionHeader(kind: k, mode: config.mode, rate: rate, duration: duration, faults: faults,
                                weightsSHA256: sha, extra: [("weights", .string(weightsPath)),
                                                            ("batch", .int(batch)), ("window", .int(window)),
                                                            ("plan", config.plan.map { .string($0.rawValue) } ?? .null),
                                                            ("goal", config.goal.map { .string("\($0)") } ?? .null)]).json)
        do { try await controller.start() } catch {
            await controller.stop(drainTimeout: 0)
            throw CommandFailure(error)
        }
        // The faults at their times, until --duration or SIGINT / SIGTERM, whichever first.
        // A policy that needs a cost model (--mode auto, --goal) calibrates first at full
        // load: --duration, --rate and the faults' times count from its end, so a short
        // run at a low rate is not mostly calibration, and a fault does not hit it.
        let calibrates = config.plan == nil && (config.goal != nil || config.mode == .auto)
        await withTaskGroup(of: Void.self) { group in
            let signals = stop.stream
            group.addTask { for await _ in signals { return } }
            group.addTask {
                if calibrates {
                    // Calibration gives up on a plan not served within 3 s: it ends.
                    try? await controller.wait(until: { $0.adaptive?.calibrating == false }, timeout: 120,
                                               describe: { _ in "calibration did not end" })
                }
                let t0 = ContinuousClock.now
                for f in schedule {
                    do { try await Task.sleep(until: t0 + .seconds(f.at), clock: .continuous) } catch { return }
                    controller.inject(f.fault)
                }
                try? await Task.sleep(until: t0 + .seconds(duration), clock: .continuous)
            }
            await group.next()
            group.cancelAll()
        }
        let summary = await controller.stop()
        out.write(summary.json)
        if summary.lost != 0 { throw ExitCode(3) }
    }
}

/// Writes each line to stdout and the log file, flushed per line (a crash leaves a valid
/// prefix). Thread-safe: the controller calls it from its loop, `run` from the main thread.
final class JSONLinesWriter: Sendable {
    private let lock = NIOLock()
    private let file: FileHandle?

    init(logPath: String?) throws {
        if let p = logPath {
            guard FileManager.default.createFile(atPath: p, contents: nil), let h = FileHandle(forWritingAtPath: p) else {
                throw CommandFailure(message: "cannot write --log file '\(p)'")
            }
            file = h
        } else {
            file = nil
        }
    }

    func write(_ v: JSONValue) {
        let line = v.serialized() + "\n"
        lock.withLock {
            FileHandle.standardOutput.write(Data(line.utf8))
            file?.write(Data(line.utf8))
        }
    }
}

/// SIGINT / SIGTERM end the run early but orderly: nodes stopped, summary printed.
struct SignalStop {
    /// Yields each SIGINT / SIGTERM.
    let stream: AsyncStream<Int32>
    /// Kept alive as long as this value.
    private let sources: [DispatchSourceSignal]

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { continuation.yield(sig) }
            s.resume()
            return s
        }
    }

}
