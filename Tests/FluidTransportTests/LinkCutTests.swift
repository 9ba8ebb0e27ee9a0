import FluidTransport
import NIOCore
import NIOEmbedded
import XCTest

/// The partition handler behind `cut:LINK` faults: nothing crosses while cut, nothing is
/// closed, and a heal delivers what was held in order (as TCP does for a partition shorter
/// than its give-up time), so a frame is never cut in half.
final class LinkCutTests: XCTestCase {
    func testNothingCrossesWhileCutAndEverythingArrivesInOrderAfterTheHeal() throws {
        let cut = LinkCut()
        let ch = EmbeddedChannel(handler: LinkCutHandler(cut))
        try ch.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        ch.writeAndFlush(ByteBuffer(bytes: [1]), promise: nil)
        XCTAssertEqual(try ch.readOutbound(as: ByteBuffer.self), ByteBuffer(bytes: [1]), "an intact link passes bytes")

        cut.isCut = true
        let written = ch.eventLoop.makePromise(of: Void.self)
        var done = false
        written.futureResult.assumeIsolated().whenSuccess { done = true }
        ch.write(ByteBuffer(bytes: [2, 3]), promise: written)
        ch.flush()
        ch.writeAndFlush(ByteBuffer(bytes: [4]), promise: nil)
        try ch.writeInbound(ByteBuffer(bytes: [9, 8]))
        try ch.writeInbound(ByteBuffer(bytes: [7]))
        XCTAssertNil(try ch.readOutbound(as: ByteBuffer.self), "a cut link sent bytes")
        XCTAssertNil(try ch.readInbound(as: ByteBuffer.self), "a cut link delivered bytes")
        XCTAssertFalse(done, "a held write reported as sent")
        XCTAssertTrue(ch.isActive, "a cut must not close the connection")

        cut.isCut = false
        XCTAssertEqual(try ch.readOutbound(as: ByteBuffer.self), ByteBuffer(bytes: [2, 3]))
        XCTAssertEqual(try ch.readOutbound(as: ByteBuffer.self), ByteBuffer(bytes: [4]))
        XCTAssertEqual(try ch.readInbound(as: ByteBuffer.self), ByteBuffer(bytes: [9, 8]))
        XCTAssertEqual(try ch.readInbound(as: ByteBuffer.self), ByteBuffer(bytes: [7]))
        XCTAssertTrue(done)
        // After the heal, bytes pass straight through again.
        ch.writeAndFlush(ByteBuffer(bytes: [5]), promise: nil)
        XCTAssertEqual(try ch.readOutbound(as: ByteBuffer.self), ByteBuffer(bytes: [5]))
        XCTAssertTrue(try ch.finish().isClean)
    }

    func testClosingACutConnectionFailsWhatWasHeld() throws {
        let cut = LinkCut()
        let ch = EmbeddedChannel(handler: LinkCutHandler(cut))
        try ch.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        cut.isCut = true
        let p = ch.eventLoop.makePromise(of: Void.self)
        var failed = false
        p.futureResult.assumeIsolated().whenFailure { _ in failed = true }
        ch.writeAndFlush(ByteBuffer(bytes: [1]), promise: p)
        _ = try? ch.finish()
        XCTAssertTrue(failed, "a write held by a cut that never healed must fail when the connection closes")
    }
}
