import XCTest
import FluidModel
import FluidCluster

final class CodecTests: XCTestCase {
    let samples: [Message] = [
        .hello(Hello(role: .worker, kind: .fluid, weightsSHA256: String(repeating: "ab", count: 32),
                     nodeID: "worker@127.0.0.1:1", incarnation: 42, planEpoch: 7)),
        .refuse("weights differ"),
        .heartbeat(Heartbeat(sentAtNanos: 1, imagesComputed: 2, peerBytesOut: 3, peerBytesIn: 4)),
        .plan(PlanAnnouncement(epoch: 9, plan: .ht, leader: .worker, mode: .ht, needsPeerAfter: [true, false], reason: "x")),
        .deployAck(epoch: 9, needsPeerAfter: [false, true]),
        .setMode(.ht),
        .setMode(ModeRequest(mode: .ha, plan: .ht50u25)),
        .plan(PlanAnnouncement(epoch: 10, plan: .soloU25, leader: .master, mode: .ha, reason: "y", wanted: .soloU25)),
        .request(RequestBatch(ids: [1, 2], images: [UInt8](repeating: 7, count: 2 * 784))),
        .answer(AnswerBatch(ids: [5, 6, 7], labels: [3, -1, 9], plan: .soloU50)),
        .reject(ids: [1, 99]),
        .jointImages(batch: 3, epoch: 4, count: 1, images: [UInt8](repeating: 1, count: 784)),
        .jointActivations(batch: 3, layer: 2, values: [1.5, -2, 0]),
        .jointPartial(batch: 3, values: [Float](repeating: 0.25, count: 20)),
    ]

    func testRoundTripEveryMessageThroughSplitStream() throws {
        var stream: [UInt8] = []
        for m in samples { stream += m.encodedFrame() }
        // Feed in awkward chunk sizes: frames split across reads must reassemble.
        for chunk in [1, 3, 7, 1000] {
            var d = FrameDecoder()
            var got: [Message] = []
            var i = 0
            while i < stream.count {
                d.append(Array(stream[i..<min(i + chunk, stream.count)]))
                i += chunk
                while let m = try d.next() { got.append(m) }
            }
            XCTAssertEqual(got, samples, "chunk \(chunk)")
            XCTAssertNoThrow(try d.finish())
        }
    }

    /// The chunked writer the NIO encoder uses is the frame encoder; the framing step the NIO
    /// decoder runs on its receive buffer gives back each message and its exact length, and
    /// the node's activation frame head (floats written after it) is the codec's own.
    func testChunkedWriterAndFramingStepMatchTheCodec() throws {
        for m in samples {
            var bytes: [UInt8] = []
            var reserved = 0
            m.writeFrame(reserve: { reserved = $0 }, write: { bytes += Array($0) })
            XCTAssertEqual(bytes, m.encodedFrame(), "\(m.type)")
            XCTAssertEqual(reserved, bytes.count, "\(m.type)")
            XCTAssertEqual(Array(bytes[WireFormat.headerLength...]), m.encodedPayload(), "\(m.type)")
            let trailing = bytes + [0x46, 0x44] // the start of a next frame is not read
            let found = try trailing.withUnsafeBytes { try FrameDecoder.frame(in: $0) }
            XCTAssertEqual(found?.message, m, "\(m.type)")
            XCTAssertEqual(found?.length, bytes.count, "\(m.type)")
            XCTAssertNil(try bytes.dropLast().withUnsafeBytes { try FrameDecoder.frame(in: $0) }, "\(m.type) incomplete")
        }
        let values: [Float] = [1.5, -2, 0, .pi]
        let whole = Message.jointActivations(batch: 9, layer: 1, values: values).encodedFrame()
        XCTAssertEqual(Message.jointActivationsHead(batch: 9, layer: 1, floats: values.count) + values.withUnsafeBytes { Array($0) }, whole)
        let request = Message.request(RequestBatch(ids: [10, 11, 12], images: (0..<(3 * 784)).map { UInt8($0 % 251) }))
        let payload = request.encodedPayload()
        XCTAssertEqual(try payload.withUnsafeBytes { try Message.decode(type: MessageType.request.rawValue, payload: $0) }, request)
        // One image byte short, or a count over the limit: refused with the problem named.
        XCTAssertThrowsError(try Message.decode(type: MessageType.request.rawValue, payload: Array(payload.dropLast()))) {
            XCTAssertTrue("\($0)".contains("images"), "\($0)")
        }
        var huge = payload
        huge[0] = 0xff
        XCTAssertThrowsError(try Message.decode(type: MessageType.request.rawValue, payload: huge)) {
            XCTAssertTrue("\($0)".contains("exceeds"), "\($0)")
        }
    }

    /// The wire's code tables, pinned: a changed value is a protocol change (bump
    /// WireFormat.version), never a side effect of reordering cases.
    func testWireCodesArePinned() {
        let types: [(MessageType, UInt8)] = [(.hello, 1), (.refuse, 2), (.heartbeat, 3), (.plan, 4), (.deployAck, 5),
                                             (.setMode, 6), (.request, 7), (.answer, 8), (.reject, 9), (.jointImages, 10),
                                             (.jointActivations, 11), (.jointPartial, 12), (.standaloneRequest, 13)]
        XCTAssertEqual(types.count, MessageType.allCases.count, "a message type without a pinned code")
        for (t, code) in types { XCTAssertEqual(t.rawValue, code, "\(t)") }
        let kinds: [(ModelKind, UInt8)] = [(.static, 0), (.dynamic, 1), (.fluid, 2)]
        XCTAssertEqual(kinds.count, ModelKind.allCases.count, "a model kind without a pinned code")
        for (k, code) in kinds {
            XCTAssertEqual(k.code, code, "\(k)")
            XCTAssertEqual(ModelKind(code: code), k)
        }
        XCTAssertNil(ModelKind(code: 3))
        let roles: [(PeerRole, UInt8)] = [(.master, 0), (.worker, 1), (.source, 2)]
        for (r, code) in roles { XCTAssertEqual(r.rawValue, code, "\(r)") }
    }

    func testGarbageIsBadMagic() {
        var d = FrameDecoder()
        d.append(Array("GET / HTTP/1.1\r\n".utf8))
        XCTAssertThrowsError(try d.next()) { XCTAssertEqual($0 as? WireError, .badMagic(0x47, 0x45)) }
    }

    func testWrongVersion() {
        var f = Message.setMode(.ha).encodedFrame()
        f[2] = WireFormat.version + 1
        var d = FrameDecoder(); d.append(f)
        XCTAssertThrowsError(try d.next()) {
            XCTAssertEqual($0 as? WireError, .wrongVersion(found: WireFormat.version + 1, expected: WireFormat.version))
        }
    }

    func testOversizedLengthRefusedFromHeaderAlone() {
        // Only the header: the decoder must refuse before waiting for (or allocating) 4 GB.
        var d = FrameDecoder()
        d.append([0x46, 0x44, WireFormat.version, MessageType.request.rawValue, 0xff, 0xff, 0xff, 0xf0])
        XCTAssertThrowsError(try d.next()) {
            guard case .oversized(let l, _)? = $0 as? WireError else { return XCTFail("\($0)") }
            XCTAssertEqual(l, 0xffff_fff0)
        }
    }

    func testTruncatedFrameAtEndOfStream() throws {
        let f = Message.request(RequestBatch(ids: [1], images: [UInt8](repeating: 0, count: 784))).encodedFrame()
        var d = FrameDecoder(); d.append(Array(f.prefix(f.count - 10)))
        XCTAssertNil(try d.next())
        XCTAssertThrowsError(try d.finish()) {
            XCTAssertEqual($0 as? WireError, .truncatedFrame(have: f.count - 10, need: f.count))
        }
    }

    func testPayloadShorterThanItsFieldsIsMalformed() {
        // A request frame claiming 2 images but carrying one.
        var payload = Message.request(RequestBatch(ids: [1, 2], images: [UInt8](repeating: 0, count: 2 * 784))).encodedPayload()
        payload.removeLast(784)
        XCTAssertThrowsError(try Message.decode(type: MessageType.request.rawValue, payload: payload)) {
            guard case .malformed? = $0 as? WireError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Message.decode(type: 200, payload: [])) {
            XCTAssertEqual($0 as? WireError, .unknownType(200))
        }
        // Trailing bytes are refused too.
        XCTAssertThrowsError(try Message.decode(type: MessageType.setMode.rawValue, payload: [0, 0, 0]))
        // An out-of-range label never reaches the ledger.
        var answer = Message.answer(AnswerBatch(ids: [1], labels: [3], plan: .ha100)).encodedPayload()
        answer[answer.count - 1] = 42
        XCTAssertThrowsError(try Message.decode(type: MessageType.answer.rawValue, payload: answer))
    }

    func testHandshakeMismatches() {
        let a = Hello(role: .master, kind: .fluid, weightsSHA256: "aa", nodeID: "m", incarnation: 1, planEpoch: 0)
        var b = a; b.role = .worker
        XCTAssertNil(a.mismatch(with: b))
        var c = b; c.kind = .static
        XCTAssertNotNil(a.mismatch(with: c))
        var e = b; e.weightsSHA256 = "bb"
        XCTAssertTrue(a.mismatch(with: e)?.contains("SHA-256") ?? false)
        XCTAssertNotNil(a.mismatch(with: a), "two masters")
        var s = a; s.role = .source; s.weightsSHA256 = ""
        XCTAssertNil(a.mismatch(with: s))
    }

    /// Issue 14's wanted plan travels as one optional trailing byte: a frame without it is
    /// byte for byte the frame of before (an old source's `setMode`, an old leader's plan),
    /// and decodes to "no wanted plan"; a code that is no plan, or `none`, is refused.
    func testWantedPlanIsAnOptionalTrailingByte() throws {
        XCTAssertEqual(Message.setMode(.ht).encodedPayload(), [1])
        XCTAssertEqual(try Message.decode(type: MessageType.setMode.rawValue, payload: [1]), .setMode(ModeRequest(mode: .ht)))
        XCTAssertEqual(Message.setMode(ModeRequest(mode: .ha, plan: .ht25)).encodedPayload(), [0, Plan.ht25.code])
        let bare = PlanAnnouncement(epoch: 9, plan: .ht, leader: .master, mode: .ht, reason: "r")
        var wanted = bare; wanted.wanted = .ht
        let old = Message.plan(bare).encodedPayload(), new = Message.plan(wanted).encodedPayload()
        XCTAssertEqual(new, old + [Plan.ht.code])
        XCTAssertEqual(try Message.decode(type: MessageType.plan.rawValue, payload: old), .plan(bare))
        for bad: [UInt8] in [[0, 200], [0, Plan.none.code]] {
            XCTAssertThrowsError(try Message.decode(type: MessageType.setMode.rawValue, payload: bad)) {
                XCTAssertTrue("\($0)".contains("wanted plan code"), "\($0)")
            }
        }
        XCTAssertThrowsError(try Message.decode(type: MessageType.plan.rawValue, payload: old + [99]))
    }
}
