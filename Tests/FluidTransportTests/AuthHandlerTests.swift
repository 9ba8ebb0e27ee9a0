import FluidTransport
import Foundation
import NIOCore
import NIOEmbedded
import NIOPosix
import XCTest

/// `AuthHandler` in a pipeline: on EmbeddedChannels wired back to back (exact control of
/// bytes and time) and over real loopback sockets.
final class AuthHandlerTests: XCTestCase {
    let secret = try! SharedSecret(bytes: Array("a shared secret of thirty-two b!".utf8))
    let wrong = try! SharedSecret(bytes: Array("a shared secret of thirty-two c!".utf8))

    /// Records what reaches the application side of the pipeline.
    final class Sink: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var bytes: [UInt8] = []
        var active = false
        func channelActive(context: ChannelHandlerContext) { active = true }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = unwrapInboundIn(data)
            bytes += b.readBytes(length: b.readableBytes) ?? []
        }
    }

    func makeEnd(_ s: SharedSecret, initiator: Bool) throws -> (EmbeddedChannel, AuthHandler, Sink, FailureLog) {
        let ch = EmbeddedChannel()
        let auth = AuthHandler(secret: s, link: .source, isInitiator: initiator)
        let log = FailureLog()
        auth.onFailure = { log.reasons.append($0) }
        let sink = Sink()
        try ch.pipeline.syncOperations.addHandlers([auth, sink])
        try ch.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (ch, auth, sink, log)
    }

    final class FailureLog { var reasons: [AuthFailure] = [] }

    /// Moves every pending outbound buffer of `from` into `to`'s inbound side.
    @discardableResult
    func pump(_ from: EmbeddedChannel, _ to: EmbeddedChannel) throws -> Int {
        var moved = 0
        while let b = try from.readOutbound(as: ByteBuffer.self) {
            moved += b.readableBytes
            if to.isActive { try to.writeInbound(b) }
        }
        return moved
    }

    func pumpUntilQuiet(_ a: EmbeddedChannel, _ b: EmbeddedChannel) throws {
        for _ in 0..<10 { if try pump(a, b) + pump(b, a) == 0 { return } }
    }

    func testRightSecretPassesAndDataFlowsBothWays() throws {
        let (a, authA, sinkA, logA) = try makeEnd(secret, initiator: true)
        let (b, authB, sinkB, logB) = try makeEnd(secret, initiator: false)
        // The application writes before authentication: held, not sent.
        let written = a.writeAndFlush(ByteBuffer(bytes: Array("hello from a".utf8)))
        var done = false
        written.whenComplete { _ in done = true }
        // Only a's challenge has left a so far.
        let challenge = try XCTUnwrap(try a.readOutbound(as: ByteBuffer.self))
        XCTAssertEqual(challenge.readableBytes, AuthWire.frameLength)
        XCTAssertNil(try a.readOutbound(as: ByteBuffer.self), "application bytes left before authentication")
        XCTAssertFalse(done, "a write completed before authentication")
        try b.writeInbound(challenge)
        try pumpUntilQuiet(a, b)
        XCTAssertTrue(done)
        XCTAssertTrue(authA.isAuthenticated && authB.isAuthenticated)
        XCTAssertEqual(logA.reasons + logB.reasons, [])
        XCTAssertEqual(sinkB.bytes, Array("hello from a".utf8))
        b.writeAndFlush(ByteBuffer(bytes: Array("and from b".utf8)), promise: nil)
        try pump(b, a)
        XCTAssertEqual(sinkA.bytes, Array("and from b".utf8))
        XCTAssertTrue(a.isActive && b.isActive)
    }

    func testWrongSecretClosesBothAndPassesNothing() throws {
        let (a, _, sinkA, logA) = try makeEnd(secret, initiator: true)
        let (b, _, sinkB, logB) = try makeEnd(wrong, initiator: false)
        a.writeAndFlush(ByteBuffer(bytes: [1, 2, 3]), promise: nil)
        try pumpUntilQuiet(a, b)
        XCTAssertEqual(logA.reasons, [.wrongProof])
        XCTAssertEqual(logB.reasons, [.wrongProof])
        XCTAssertFalse(a.isActive, "dialer kept a connection to a peer with another secret")
        XCTAssertFalse(b.isActive, "acceptor kept a connection to a peer with another secret")
        XCTAssertEqual(sinkA.bytes + sinkB.bytes, [])
    }

    /// A client that sends a Fluid frame (or anything) without the exchange: closed on its
    /// first bytes, nothing reaches the frame decoder.
    func testGarbageBeforeAuthClosesAndPassesNoBytes() throws {
        for (bytes, reason) in [(Array("GET / HTTP/1.1\r\n\r\n".utf8), AuthFailure.badMagic(0x47, 0x45)),
                                ([0x46, 0x44, 1, 0, 0, 0, 0, 0], .unauthenticatedPeer),
                                ([0x46, 0x41, 7, 1] + [UInt8](repeating: 0, count: 32), .wrongVersion(found: 7, expected: AuthWire.version))] {
            let (node, _, sink, log) = try makeEnd(secret, initiator: false)
            _ = try? node.writeInbound(ByteBuffer(bytes: bytes))
            XCTAssertEqual(log.reasons, [reason])
            XCTAssertFalse(node.isActive)
            XCTAssertEqual(sink.bytes, [])
        }
    }

    /// A well-formed challenge followed by application bytes but no proof: the bytes are
    /// held back (and then the connection times out).
    func testNoBytesPassBeforeTheProofAndTimeoutCloses() throws {
        let (node, auth, sink, log) = try makeEnd(secret, initiator: false)
        let challenge = AuthWire.frame(.challenge, body: AuthWire.randomNonce())
        try node.writeInbound(ByteBuffer(bytes: challenge))
        XCTAssertNotNil(try node.readOutbound(as: ByteBuffer.self), "node sent no challenge")
        XCTAssertNotNil(try node.readOutbound(as: ByteBuffer.self), "node sent no proof")
        XCTAssertEqual(sink.bytes, [])
        XCTAssertFalse(auth.isAuthenticated)
        (node.eventLoop as! EmbeddedEventLoop).advanceTime(by: .milliseconds(1999))
        XCTAssertTrue(node.isActive)
        (node.eventLoop as! EmbeddedEventLoop).advanceTime(by: .milliseconds(2))
        XCTAssertEqual(log.reasons, [.timeout(milliseconds: 2000)])
        XCTAssertFalse(node.isActive, "a silent client kept its connection past the auth timeout")
    }

    func testPeerClosingMidExchangeIsReported() throws {
        let (node, _, _, log) = try makeEnd(secret, initiator: false)
        try node.writeInbound(ByteBuffer(bytes: [0x46, 0x41, AuthWire.version]))
        node.pipeline.fireChannelInactive()
        XCTAssertEqual(log.reasons, [.closedDuringExchange(received: 3)])
    }

    // MARK: real sockets

    /// Echo server behind an AuthHandler on 127.0.0.1; returns (group, server channel).
    func startEchoServer(_ s: SharedSecret, group: EventLoopGroup) throws -> Channel {
        final class Echo: ChannelInboundHandler {
            typealias InboundIn = ByteBuffer
            func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.writeAndFlush(data, promise: nil) }
        }
        return try ServerBootstrap(group: group)
            .childChannelInitializer { ch in
                ch.pipeline.addHandlers([AuthHandler(secret: s, link: .source, isInitiator: false), Echo()])
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    final class Collect: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let lock = NSLock()
        var bytes: [UInt8] = []
        let closed = DispatchSemaphore(value: 0)
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = unwrapInboundIn(data)
            let r = b.readBytes(length: b.readableBytes) ?? []
            lock.withLock { bytes += r }
        }
        func channelInactive(context: ChannelHandlerContext) { closed.signal() }
    }

    func testOverLoopbackRightSecretEchoesWrongSecretIsDisconnected() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try startEchoServer(secret, group: group)
        defer { try? server.close().wait() }
        guard let port = server.localAddress?.port else { return XCTFail("no port") }

        for (s, shouldPass) in [(secret, true), (wrong, false)] {
            let collect = Collect()
            let client = try ClientBootstrap(group: group)
                .channelInitializer { ch in ch.pipeline.addHandlers([AuthHandler(secret: s, link: .source, isInitiator: true), collect]) }
                .connect(host: "127.0.0.1", port: port).wait()
            let payload = Array("ping over a real socket".utf8)
            client.writeAndFlush(ByteBuffer(bytes: payload), promise: nil)
            if shouldPass {
                let deadline = Date().addingTimeInterval(5)
                while collect.lock.withLock({ collect.bytes.count }) < payload.count, Date() < deadline { usleep(1000) }
                XCTAssertEqual(collect.lock.withLock { collect.bytes }, payload)
                try client.close().wait()
            } else {
                XCTAssertEqual(collect.closed.wait(timeout: .now() + 5), .success, "wrong secret: connection not closed")
                XCTAssertEqual(collect.lock.withLock { collect.bytes }, [])
            }
        }
    }

    /// A raw TCP client that sends garbage: the server closes it (recv returns 0) and
    /// serves the next, authenticated, client.
    func testOverLoopbackRawGarbageClientIsClosed() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try startEchoServer(secret, group: group)
        defer { try? server.close().wait() }
        guard let port = server.localAddress?.port else { return XCTFail("no port") }
        let fd = try RawClient.connect(host: "127.0.0.1", port: port)
        defer { close(fd) }
        RawClient.send(fd, Array("\u{16}\u{03}\u{01} not a fluid client".utf8))
        XCTAssertTrue(RawClient.closedByPeer(fd, within: 5), "garbage client kept its connection")
    }
}
