import FluidCluster
import FluidModel
import XCTest

/// Issue 12 item 3: every peer-supplied number is bounded where it is decoded, so no
/// later arithmetic or allocation can trap or run away.
final class WireBoundsTests: XCTestCase {
    func decode(_ m: Message) throws -> Message {
        let f = m.encodedFrame()
        return try Message.decode(type: f[3], payload: Array(f[8...]))
    }

    func assertRefused(_ m: Message, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(m), file: file, line: line) { e in
            XCTAssertTrue("\(e)".contains(fragment), "\(e)", file: file, line: line)
        }
        // The framing step the NIO decoder runs refuses it too.
        let f = m.encodedFrame()
        XCTAssertThrowsError(try f.withUnsafeBytes { try FrameDecoder.frame(in: $0) }, file: file, line: line)
    }

    func testEpochsBeyondTwoToThe48AreRefusedEverywhere() throws {
        let big = WireFormat.maxEpoch + 1
        assertRefused(.hello(Hello(role: .source, kind: .fluid, weightsSHA256: "", nodeID: "x", incarnation: 1, planEpoch: big)),
                      "plan epoch \(big) exceeds")
        assertRefused(.hello(Hello(role: .master, kind: .fluid, weightsSHA256: "", nodeID: "x", incarnation: 1, planEpoch: .max)),
                      "exceeds")
        assertRefused(.plan(PlanAnnouncement(epoch: big, plan: .ha100, leader: .master, mode: .ha, reason: "")), "epoch")
        assertRefused(.deployAck(epoch: .max, needsPeerAfter: [false, false]), "epoch")
        assertRefused(.jointImages(batch: 1, epoch: big, count: 1, images: [UInt8](repeating: 0, count: 784)), "epoch")
        // The bound itself is accepted, and one more plan on top of it cannot overflow.
        let ok = try decode(.plan(PlanAnnouncement(epoch: WireFormat.maxEpoch, plan: .ha100, leader: .master, mode: .ha, reason: "")))
        guard case .plan(let a) = ok else { return XCTFail("\(ok)") }
        XCTAssertEqual(a.epoch + 1, WireFormat.maxEpoch + 1)
    }

    func testBatchesBeyondMaxBatchAreRefused() {
        XCTAssertEqual(Message.maxBatch, 256, "the CLI, the source and the node share this number")
        let n = Message.maxBatch + 1
        assertRefused(.request(RequestBatch(ids: (0..<UInt64(n)).map { $0 }, images: [UInt8](repeating: 0, count: n * 784))),
                      "count 257 exceeds 256")
        assertRefused(.jointImages(batch: 1, epoch: 1, count: n, images: [UInt8](repeating: 0, count: n * 784)), "count 257 exceeds 256")
        assertRefused(.jointPartial(batch: 1, values: [Float](repeating: 0, count: n * 10)), "exceed 256 images")
    }

    func testLongStringsAreRefused() {
        var w = ByteWriter()
        w.u32(UInt32(WireFormat.maxString + 1))
        w.raw([UInt8](repeating: 0x41, count: WireFormat.maxString + 1))
        XCTAssertThrowsError(try Message.decode(type: MessageType.refuse.rawValue, payload: w.bytes)) { e in
            XCTAssertTrue("\(e)".contains("exceeds \(WireFormat.maxString)"), "\(e)")
        }
        // The encoder cuts instead of producing what the decoder refuses.
        let long = Message.refuse(String(repeating: "x", count: 10_000))
        guard case .refuse(let r)? = try? decode(long) else { return XCTFail("a long refusal did not round-trip") }
        XCTAssertEqual(r.utf8.count, WireFormat.maxString)
    }
}
