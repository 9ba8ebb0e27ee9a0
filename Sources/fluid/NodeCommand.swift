import ArgumentParser
import Foundation
import FluidCluster
import FluidModel
import FluidTransport
import Logging

/// `fluid node`: one device of the two-device cluster (docs/cli.md).
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run one device (Master or Worker) of the cluster.",
        discussion: """
        The Master dials the Worker at --peer and redials while it is down; sources dial both.
        The node loads only the weight rows its role holds. Logs go to stderr.
        """)

    @Option(help: "master or worker") var role: Role
    @Option(help: "HOST:PORT to listen on (loopback unless told otherwise)") var listen: String
    @Option(help: "HOST:PORT of the other device") var peer: String
    @Option(help: "Weight file (.safetensors)") var weights: String
    @Option(help: "Folder from `fluid keygen`: TLS 1.3 with this role's certificate on every connection (required beyond loopback)") var tls: String?
    @Option(help: .hidden) var secretFile: String?
    @Option(parsing: .unconditional, help: "Emulated one-way delay on the link to the peer device, ms") var linkLatency: Double = 0
    @Option(parsing: .unconditional, help: "Emulated bandwidth of the link to the peer device, Mbit/s (default: unlimited)") var linkBandwidth: Double?
    @Option(help: .hidden) var logLevel: String = "info"
    @Flag(help: .hidden) var exitWithParent = false

    func validate() throws {
        if secretFile != nil { throw ValidationError(TLSSetupError.secretFileRemoved.description) }
        try CLICheck.range("--link-latency", linkLatency, 0...60_000, unit: "ms")
        if let b = linkBandwidth { try CLICheck.range("--link-bandwidth", b, 0.001...1_000_000, unit: "Mbit/s") }
    }

    func run() async throws {
        // SIGUSR1 / SIGUSR2 cut and heal the peer link (NodeServer.installCutSignals); until
        // the server installs its handlers they must not kill the process (their default).
        signal(SIGUSR1, SIG_IGN)
        signal(SIGUSR2, SIG_IGN)
        let r = role
        let (lh, lp) = try parseHostPort(listen, option: "--listen")
        let (ph, pp) = try parseHostPort(peer, option: "--peer")
        var logger = Logger(label: "fluid.node") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var config = NodeConfig(role: r, listenHost: lh, listenPort: lp, peerHost: ph, peerPort: pp, weightsPath: weights)
        do { try config.applyTLS(directory: tls, logger: logger) } catch { throw CommandFailure(error) }
        do { config.hooks.shapeLinks(try LinkShape(latencyMs: linkLatency, bandwidthMbit: linkBandwidth)) } catch {
            throw ValidationError("\(error)")
        }
        // A link with millisecond round trips needs more joint batches in flight to stay
        // bandwidth-bound (wifi-edge ha-100: 589 img/s with 2 slots); on loopback 2 are best.
        if linkLatency > 0 { config.jointSlots = 4 }
        // Runtime failures (an unreadable weight file, a port in use) are errors with their
        // reason and exit 1, not usage mistakes.
        let node: FluidNode
        do { node = try FluidNode(config: config, logger: logger) } catch {
            throw CommandFailure(error)
        }
        if exitWithParent { ParentWatch.exitWhenOrphaned(logger: logger) }
        do { try await node.start() } catch {
            await node.shutdown()
            throw CommandFailure(error)
        }
        try await node.run()
    }
}

/// A node started by a controller dies with it: the controller holds the write end of the
/// node's stdin, so EOF on stdin means the controller is gone (however it died: SIGKILL
/// included); a change of parent pid is checked as well in case stdin was shared.
enum ParentWatch {
    static func exitWhenOrphaned(logger: Logger) {
        let parent = getppid()
        let stdinWatch = Thread {
            var byte: UInt8 = 0
            while read(STDIN_FILENO, &byte, 1) > 0 {}
            logger.info("stdin closed: controller gone, exiting")
            exit(0)
        }
        stdinWatch.start()
        let ppidWatch = Thread {
            while getppid() == parent { usleep(100_000) }
            logger.info("parent changed: controller gone, exiting")
            exit(0)
        }
        ppidWatch.start()
    }
}
