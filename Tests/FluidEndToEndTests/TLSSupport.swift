import FluidCluster
import FluidTransport
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import XCTest

/// A hand-driven client for attacks over TLS: it presents any certificate of a keygen
/// folder (or none) and sends whatever frames a test wants, with no role check of its own
/// (an attacker would not check either). It records the frames it gets back and whether
/// the node closed the connection.
final class TLSAttacker: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let channel: Channel
    /// What came back, and whether the TLS handshake completed and the node closed.
    struct Seen { var got: [Message] = []; var isClosed = false; var handshakeDone = false }
    private let seen: NIOLockedValueBox<Seen>

    /// `identity`: "master", "worker" or "source" from `directory`, or nil for no certificate.
    init(port: Int, directory: String, identity: String?) throws {
        let ca = try NIOSSLCertificate.fromPEMFile(directory + "/ca.pem")[0]
        var config = TLSConfiguration.makeClientConfiguration()
        config.minimumTLSVersion = .tlsv13
        config.certificateVerification = .noHostnameVerification
        config.trustRoots = .certificates([ca])
        if let id = identity {
            config.certificateChain = try NIOSSLCertificate.fromPEMFile("\(directory)/\(id).pem").map { .certificate($0) }
            config.privateKey = .privateKey(try NIOSSLPrivateKey(file: "\(directory)/\(id).key", format: .pem))
        }
        let context = try NIOSSLContext(configuration: config)
        let seen = NIOLockedValueBox(Seen())
        self.seen = seen
        channel = try ClientBootstrap(group: group)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    let tls = try NIOSSLClientHandler(context: context, serverHostname: nil)
                    try ch.pipeline.syncOperations.addHandlers([tls, ByteToMessageHandler(WireFrameDecoder()), WireOutboundHandler(),
                                                                Collector(seen: seen)])
                }
            }
            .connect(host: "127.0.0.1", port: port).wait()
        channel.closeFuture.whenComplete { _ in seen.withLockedValue { $0.isClosed = true } }
    }

    deinit { try? group.syncShutdownGracefully() }

    func send(_ m: Message) {
        channel.writeAndFlush(WireOutbound.message(m), promise: nil)
    }

    var received: [Message] { seen.withLockedValue { $0.got } }
    var closed: Bool { seen.withLockedValue { $0.isClosed } }
    var tlsHandshakeCompleted: Bool { seen.withLockedValue { $0.handshakeDone } }

    /// Waits until the node closed the connection.
    func closedByNode(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !closed { usleep(20_000) }
        return closed
    }

    func waitFor(within seconds: Double, _ predicate: (Message) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if received.contains(where: predicate) { return true }
            usleep(20_000)
        }
        return false
    }

    func close() { try? channel.close().wait() }

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = Message
        let seen: NIOLockedValueBox<Seen>
        init(seen: NIOLockedValueBox<Seen>) { self.seen = seen }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let m = unwrapInboundIn(data)
            seen.withLockedValue { $0.got.append(m) }
        }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let e = event as? TLSUserEvent, case .handshakeCompleted = e { seen.withLockedValue { $0.handshakeDone = true } }
        }
        func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
    }
}

/// One `fluid node` started by a test, with its log in a file.
final class TestNode {
    let process: LiveProcess
    let port: Int
    let log: String

    init(role: String, port: Int, peerPort: Int, tls: String?) throws {
        self.port = port
        log = NSTemporaryDirectory() + "fluid-node-\(role)-\(getpid())-\(UUID().uuidString.prefix(6)).log"
        let weights = try FluidBinary.shippedFluidWeights()
        var args = [try FluidBinary.path(), "node", "--role", role, "--listen", "127.0.0.1:\(port)",
                    "--peer", "127.0.0.1:\(peerPort)", "--weights", weights, "--exit-with-parent"]
        if let tls { args += ["--tls", tls] }
        process = try LiveProcess(args, stderrPath: log)
    }

    var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Waits until the node listens.
    func waitListening(within seconds: Double = 15) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if logText.contains("listening") { return true }
            if !process.process.isRunning { return false }
            usleep(20_000)
        }
        return false
    }

    /// Waits until the log has a line containing `text`.
    func waitForLog(_ text: String, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if logText.contains(text) { return true }
            usleep(20_000)
        }
        return logText.contains(text)
    }

    func stop() { process.kill9() }
}

extension Hello {
    static func claiming(_ role: PeerRole, epoch: UInt64 = 0, weights: String = "") -> Hello {
        Hello(role: role, kind: .fluid, weightsSHA256: weights, nodeID: "attacker", incarnation: 1, planEpoch: epoch)
    }
}
