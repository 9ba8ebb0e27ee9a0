import ArgumentParser
import FluidDashboard
import FluidTerminal
import Foundation
import Logging
import NIOConcurrencyHelpers

/// `fluid demo` (the default): two `fluid node` processes on loopback, MNIST
/// streamed through them, and the dashboard with fault keys (docs/cli.md, docs/dashboard.md).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Interactive dashboard: run the two-device cluster, kill/hang/revive devices, toggle HA/HT.",
        discussion: """
        Keys: m/w crash or revive the Master/Worker, M/W hang or resume it,
        s/S slow the Worker/Master 4×, l cut the link, t HA↔HT, a auto,
        1/2/3 Static/Dynamic/Fluid, +/- rate, p plan view (there ↑↓←→ move a
        cursor over the plans; Enter pins the plan at it, or unpins it), u unpin,
        g goal (off → accuracy → throughput ≥ 98.5 % → slo-p99 50 ms → off),
        [/] lower/raise the goal's accuracy (0.1 pp) or SLO (×1.25), r record,
        PgUp/PgDn events, space pause, ? help (Esc closes it), q quit. Pins and
        goals work with --read-only too (they choose the policy; only faults are
        disabled). How to read the screen: docs/dashboard.md.
        Logs go to a file (FLUID_DEMO_LOG, default $TMPDIR/fluid-demo.log), never
        to the terminal.
        Without a terminal use `fluid run --headless`.
        """)

    @Option(help: "fluid | dynamic | static") var kind: ModelKind = .fluid
    @Option(help: "ha | ht | auto") var mode: ModeSetting = .ha
    @Option(help: "Record the session (.jsonl + .cast) into DIR from the start; `r` toggles.")
    var record: String?
    @Flag(name: .customLong("no-color"), help: "Monochrome: attributes only (also when NO_COLOR is set).")
    var noColor = false
    @Flag(name: .customLong("read-only"), help: "Watch only: the fault keys (m w M W s S l) are disabled.")
    var readOnly = false
    @Option(help: "Offered input rate in images/s (default: as fast as the cluster answers).")
    var rate: Double?
    @Option(help: "Folder with the weight files (default: Assets/models).")
    var models: String = "Assets/models"
    @Option(help: "MNIST folder (default: $FLUID_DATA, ./data/mnist, $MNIST_DIR).")
    var data: String?
    @Option(help: "TLS with role certificates from this `fluid keygen` folder (made here first if it has no CA).")
    var tls: String?
    @Option(help: "Redraws per second (1 … 30).")
    var fps: Double = 5
    @Option(help: "Pin a plan of the kind's menu at start (issue 14), e.g. ht-50+u25; Enter in the plan view pins one later.") var plan: String?
    @Option(help: "Adaptive goal at start: accuracy, throughput (with --min-accuracy) or slo-p99 (with --slo-p99); g changes it later.") var goal: String?
    @Option(help: "p99 latency SLO, ms (implies --goal slo-p99).") var sloP99: Double?
    @Option(help: "Least accuracy for --goal throughput, percent.") var minAccuracy: Double?

    func validate() throws {
        if let rate, !(rate.isFinite && rate > 0) { throw ValidationError("--rate must be a positive number") }
        guard fps.isFinite, fps >= 1, fps <= 30 else { throw ValidationError("--fps must be between 1 and 30") }
        _ = try PolicyOptions.resolve(kind: kind, mode: mode, plan: plan, goal: goal, sloP99: sloP99, minAccuracy: minAccuracy)
    }

    func run() throws {
        // Before any node starts: without a terminal there is nothing to drive them.
        guard Terminal.isInteractive else { throw TerminalError.notATerminal(command: "fluid demo") }
        // And a recording that cannot be written fails now, with the whole reason,
        // not after the nodes started (or silently, mid-demo).
        var recordDirectory = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent("sessions")
        if let record {
            do { recordDirectory = try SessionRecorder.checkDirectory(record) } catch {
                throw DemoFailure("--record: \(error)")
            }
        }
        let logPath = ProcessInfo.processInfo.environment["FLUID_DEMO_LOG"]
            ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("fluid-demo.log")
        let logFile = try DemoLogFile(path: logPath)
        let logger = Logger(label: "fluid.demo") { label in DemoLogHandler(label: label, file: logFile) }

        let logDir = (logPath as NSString).deletingLastPathComponent
        FileHandle.standardError.write(Data("fluid demo: starting the nodes… (log: \(logPath))\n".utf8))
        let driver = try ClusterDashboardDriver(
            kind: kind, mode: mode,
            policy: try PolicyOptions.resolve(kind: kind, mode: mode, plan: plan, goal: goal, sloP99: sloP99, minAccuracy: minAccuracy),
            rate: rate, modelsDirectory: models, dataDirectory: data, nodeLogDirectory: logDir, tlsDirectory: tls, logger: logger)
        let options = DashboardOptions(
            command: "fluid demo", colour: Terminal.wantsColour(noColorFlag: noColor), readOnly: readOnly,
            keyTable: .live, title: "Fluid demo", redrawHz: fps,
            recordDirectory: recordDirectory, recordAtStart: record != nil,
            log: { logger.info("\($0)") })
        let exit: DashboardExit
        do {
            exit = try DashboardLoop(driver: driver, options: options).run()
        } catch {
            driver.shutdown()
            throw error
        }
        // The terminal is ours again: say how it ended.
        if let line = driver.summaryLine { print("fluid demo: \(line); log \(logPath)") }
        switch exit {
        case .quit: break
        case .signal(let sig):
            logger.info("stopped by signal \(sig)")
            Foundation.exit(128 + sig)
        case .driverFailed(let message):
            FileHandle.standardError.write(Data("fluid demo: \(message)\nlog: \(logPath)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// A runtime failure: one line, no usage text (it is not a usage error).
struct DemoFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The demo's log file: swift-log lines go here, never to the terminal curses owns.
final class DemoLogFile: Sendable {
    private let handle: FileHandle
    private let lock = NIOLock()

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let h = FileHandle(forWritingAtPath: path) else {
            throw DemoFailure("cannot open the demo log \(path) (set FLUID_DEMO_LOG to a writable file)")
        }
        handle = h
    }

    func write(_ line: String) {
        lock.withLock { _ = try? handle.write(contentsOf: Data((line + "\n").utf8)) }
    }
}

struct DemoLogHandler: LogHandler {
    let label: String
    let file: DemoLogFile
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let (level, message) = (event.level, event.message)
        let all = self.metadata.merging(event.metadata ?? [:]) { $1 }
        let meta = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let stamp = String(format: "%.3f", Date().timeIntervalSince1970)
        self.file.write("\(stamp) \(level) \(label):\(meta) \(message)")
    }
}
