import FluidTransport
import NIOCore
import NIOEmbedded
import NIOPosix
import XCTest

/// The link emulator (issue 5 item 8): bytes arrive intact and in order, never before the
/// latency, and a large payload takes at least size ÷ bandwidth. Only lower bounds are
/// asserted: a no-op or broken shaper violates them, a slow machine cannot.
final class LinkShaperTests: XCTestCase {
    // MARK: virtual time (EmbeddedEventLoop): exact release instants

    func testNothingLeavesBeforeTheLatencyThenAllInOrder() throws {
        let ch = EmbeddedChannel(handler: LinkShaper(shape: try LinkShape(latencyMs: 5, bandwidthMbit: nil)))
        for i in 0..<3 { ch.write(ByteBuffer(bytes: [UInt8(i), 0xAB]), promise: nil) }
        ch.flush()
        XCTAssertNil(try ch.readOutbound(as: ByteBuffer.self), "released at once: no latency applied")
        ch.embeddedEventLoop.advanceTime(by: .microseconds(4_999))
        XCTAssertNil(try ch.readOutbound(as: ByteBuffer.self), "released before 5 ms")
        ch.embeddedEventLoop.advanceTime(by: .microseconds(1))
        for i in 0..<3 {
            XCTAssertEqual(try ch.readOutbound(as: ByteBuffer.self), ByteBuffer(bytes: [UInt8(i), 0xAB]))
        }
        XCTAssertNil(try ch.readOutbound(as: ByteBuffer.self))
        XCTAssertTrue(try ch.finish().isClean)
    }

    /// Bytes the shaper has let out so far.
    func drained(_ ch: EmbeddedChannel) throws -> [UInt8] {
        var out: [UInt8] = []
        while var buf = try ch.readOutbound(as: ByteBuffer.self) { out += buf.readBytes(length: buf.readableBytes) ?? [] }
        return out
    }

    func testSerializationDelayAtTheBandwidth() throws {
        // 8 Mbit/s = 1 byte per µs: 50 000 bytes take 50 ms on the wire, then 2 ms of latency.
        let ch = EmbeddedChannel(handler: LinkShaper(shape: try LinkShape(latencyMs: 2, bandwidthMbit: 8)))
        let a = ByteBuffer(repeating: 1, count: 50_000), b = ByteBuffer(repeating: 2, count: 50_000)
        ch.write(a, promise: nil)
        ch.write(b, promise: nil)
        ch.flush()
        let loop = ch.embeddedEventLoop
        loop.advanceTime(by: .microseconds(51_999))
        var out = try drained(ch)
        XCTAssertLessThan(out.count, 50_000, "first 50 kB out before 50 ms serialization + 2 ms")
        XCTAssertGreaterThan(out.count, 0, "a large write is delivered progressively, not held back whole")
        loop.advanceTime(by: .microseconds(1))
        out += try drained(ch)
        XCTAssertEqual(out, [UInt8](repeating: 1, count: 50_000))
        loop.advanceTime(by: .microseconds(49_999))
        out += try drained(ch)
        XCTAssertLessThan(out.count, 100_000, "second 50 kB out before 100 ms + 2 ms: no pacing")
        loop.advanceTime(by: .microseconds(1))
        out += try drained(ch)
        XCTAssertEqual(out, [UInt8](repeating: 1, count: 50_000) + [UInt8](repeating: 2, count: 50_000), "bytes keep their order")
        XCTAssertTrue(try ch.finish().isClean)
    }

    /// A frame far larger than a slice (an activation frame on a slow link) keeps bytes
    /// flowing: the peer never sees a silence longer than one slice's serialization.
    func testALargeWriteTricklesOutSliceBySlice() throws {
        // 2 Mbit/s: a 16 KiB slice takes 65.5 ms; 600 kB takes 2.4 s.
        let ch = EmbeddedChannel(handler: LinkShaper(shape: try LinkShape(latencyMs: 0, bandwidthMbit: 2)))
        ch.writeAndFlush(ByteBuffer(repeating: 5, count: 600_000), promise: nil)
        var total = 0, longestGapMs = 0, gap = 0
        for _ in 0..<2_500 {
            ch.embeddedEventLoop.advanceTime(by: .milliseconds(1))
            let n = try drained(ch).count
            if n > 0 { total += n; longestGapMs = max(longestGapMs, gap); gap = 0 } else { gap += 1 }
        }
        XCTAssertEqual(total, 600_000)
        XCTAssertLessThan(longestGapMs, 100, "no byte for \(longestGapMs) ms: a heartbeat timeout of 200 ms would fire")
    }

    func testAnIdleLinkDoesNotBankCredit() throws {
        // After a quiet second, a write still pays its full serialization (no burst).
        let ch = EmbeddedChannel(handler: LinkShaper(shape: try LinkShape(latencyMs: 0, bandwidthMbit: 8)))
        ch.embeddedEventLoop.advanceTime(by: .seconds(1))
        ch.writeAndFlush(ByteBuffer(repeating: 7, count: 10_000), promise: nil)
        ch.embeddedEventLoop.advanceTime(by: .microseconds(9_999))
        XCTAssertNil(try ch.readOutbound(as: ByteBuffer.self))
        ch.embeddedEventLoop.advanceTime(by: .microseconds(1))
        XCTAssertEqual(try ch.readOutbound(as: ByteBuffer.self)?.readableBytes, 10_000)
        XCTAssertTrue(try ch.finish().isClean)
    }

    func testUnflushedWritesStayAndPromisesCompleteOnRelease() throws {
        let ch = EmbeddedChannel(handler: LinkShaper(shape: try LinkShape(latencyMs: 1, bandwidthMbit: nil)))
        let p = ch.embeddedEventLoop.makePromise(of: Void.self)
        var done = false
        p.futureResult.assumeIsolated().whenSuccess { done = true }
        ch.write(ByteBuffer(bytes: [9]), promise: p)
        ch.embeddedEventLoop.advanceTime(by: .milliseconds(10))
        XCTAssertNil(try ch.readOutbound(as: ByteBuffer.self), "a write went out without a flush")
        ch.flush()
        XCTAssertFalse(done, "promise completed before the bytes reached the socket")
        ch.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertTrue(done)
        XCTAssertEqual(try ch.readOutbound(as: ByteBuffer.self), ByteBuffer(bytes: [9]))
        XCTAssertTrue(try ch.finish().isClean)
    }

    func testCloseWaitsForBytesInTheAir() throws {
        let ch = EmbeddedChannel(handler: LinkShaper(shape: try LinkShape(latencyMs: 3, bandwidthMbit: nil)))
        try ch.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        ch.writeAndFlush(ByteBuffer(bytes: [1, 2, 3]), promise: nil)
        let closed = ch.close()
        XCTAssertTrue(ch.isActive, "closed with bytes still on the link")
        ch.embeddedEventLoop.advanceTime(by: .milliseconds(3))
        XCTAssertNoThrow(try closed.wait())
        XCTAssertEqual(try ch.readOutbound(as: ByteBuffer.self), ByteBuffer(bytes: [1, 2, 3]))
        XCTAssertFalse(ch.isActive)
    }

    func testShapeValidationAndNodeArguments() throws {
        XCTAssertThrowsError(try LinkShape(latencyMs: -1, bandwidthMbit: nil))
        XCTAssertThrowsError(try LinkShape(latencyMs: .nan, bandwidthMbit: nil))
        XCTAssertThrowsError(try LinkShape(latencyMs: 1, bandwidthMbit: 0))
        XCTAssertThrowsError(try LinkShape(latencyMs: 1, bandwidthMbit: .infinity))
        XCTAssertEqual(LinkShape().nodeArguments, [])
        XCTAssertEqual(try LinkShape(latencyMs: 3, bandwidthMbit: 40).nodeArguments,
                       ["--link-latency", "3", "--link-bandwidth", "40"])
        XCTAssertEqual(try LinkShape(latencyMs: 2.5, bandwidthMbit: nil).nodeArguments, ["--link-latency", "2.5"])
        var hooks = PipelineHooks()
        hooks.shapeLinks(LinkShape())
        XCTAssertNil(hooks.linkShaper, "an unshaped link must not add a handler")
        hooks.shapeLinks(try LinkShape(latencyMs: 1, bandwidthMbit: nil))
        XCTAssertEqual(hooks.linkShaper?().count, 1)
    }

    // MARK: real sockets on loopback

    /// 1 MB in 64 kB writes over a real TCP connection through the shaper at 80 Mbit/s
    /// (10 MB/s → 100 ms on the wire) with 20 ms latency: the bytes arrive intact and in
    /// order, the first not before 20 ms, the last not before 120 ms.
    func testLoopbackPayloadIntactInOrderAndNotFasterThanTheLink() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let total = 1 << 20, chunk = 64 << 10
        let done = group.next().makePromise(of: Sink.Received.self)
        let server = try ServerBootstrap(group: group)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Sink(expected: total, done: done)) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? server.close().wait() }
        let shape = try LinkShape(latencyMs: 20, bandwidthMbit: 80)
        let client = try ClientBootstrap(group: group)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(LinkShaper(shape: shape)) }
            }
            .connect(to: server.localAddress!).wait()
        defer { try? client.close().wait() }

        var x: UInt32 = 12345
        let payload = (0..<total).map { _ in x = x &* 1_103_515_245 &+ 12345; return UInt8(truncatingIfNeeded: x >> 16) }
        let start = DispatchTime.now().uptimeNanoseconds
        try client.eventLoop.submit {
            for off in stride(from: 0, to: total, by: chunk) {
                client.write(ByteBuffer(bytes: payload[off..<min(total, off + chunk)]), promise: nil)
            }
            client.flush()
        }.wait()
        let received = try done.futureResult.wait()
        XCTAssertEqual(received.bytes.count, total)
        XCTAssertTrue(received.bytes == payload, "bytes corrupted or reordered")
        let firstMs = Double(received.firstAt - start) / 1e6
        let lastMs = Double(received.lastAt - start) / 1e6
        // The first 16 KiB slice needs 1.6 ms on the wire plus the 20 ms latency.
        XCTAssertGreaterThanOrEqual(firstMs, 20 + 1.6, "first byte before latency + its serialization")
        XCTAssertGreaterThanOrEqual(lastMs, 20 + Double(total) * 8 / 80e6 * 1e3, "1 MB faster than 80 Mbit/s")
    }
}

/// Collects what a connection receives, with the time of the first and last bytes.
private final class Sink: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    /// The bytes and when the first and the last arrived (ns, uptime).
    struct Received: Sendable { var bytes: [UInt8] = []; var firstAt: UInt64 = 0; var lastAt: UInt64 = 0 }
    let expected: Int
    let done: EventLoopPromise<Received>
    var received = Received()

    init(expected: Int, done: EventLoopPromise<Received>) {
        self.expected = expected
        self.done = done
        received.bytes.reserveCapacity(expected)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = DispatchTime.now().uptimeNanoseconds
        if received.bytes.isEmpty { received.firstAt = now }
        received.bytes += unwrapInboundIn(data).readableBytesView
        received.lastAt = now
        if received.bytes.count >= expected { done.succeed(received) }
    }
}
