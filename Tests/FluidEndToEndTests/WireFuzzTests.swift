import FluidCluster
import FluidModel
import FluidTransport
import Foundation
import NIOCore
import NIOEmbedded
import XCTest

/// Seeded random-frame fuzzing of the frame decoder (the NIO path: `WireFrameDecoder` in
/// an `EmbeddedChannel`, fed in random chunks) and of a live node's message handling
/// (frames over a socket to a real `fluid node`). libFuzzer was not used: `-sanitize=fuzzer`
/// instruments every module of the build (swift-crypto's BoringSSL included) in a second
/// configuration, which would double CI's build; a seeded generator finds the same class
/// of bug (a trap on a value from the wire) and every failure prints its seed.
///
/// `FLUID_FUZZ_SECONDS` sets the time per test (default 3 s, what `make test` runs);
/// `FLUID_FUZZ_SEED` replays one seed. A long run:
///
///     FLUID_FUZZ_SECONDS=600 swift test -c release --disable-testable-imports \
///         --disable-swift-testing --filter WireFuzzTests
final class WireFuzzTests: XCTestCase {
    static var seconds: Double { Double(ProcessInfo.processInfo.environment["FLUID_FUZZ_SECONDS"] ?? "") ?? 3 }
    static var fixedSeed: UInt64? { UInt64(ProcessInfo.processInfo.environment["FLUID_FUZZ_SEED"] ?? "") }

    /// Every message type, valid, as the starting points of mutation.
    static let corpus: [[UInt8]] = {
        let img = [UInt8](repeating: 7, count: 784)
        let msgs: [Message] = [
            .hello(Hello(role: .source, kind: .fluid, weightsSHA256: "ab", nodeID: "n", incarnation: 3, planEpoch: 9)),
            .refuse("no"),
            .heartbeat(Heartbeat(sentAtNanos: 1, imagesComputed: 2, peerBytesOut: 3, peerBytesIn: 4)),
            .plan(PlanAnnouncement(epoch: 5, plan: .ha100, leader: .master, mode: .ha, needsPeerAfter: [true, false], reason: "r")),
            .deployAck(epoch: 5, needsPeerAfter: [false, true]),
            .setMode(.ht),
            .request(RequestBatch(ids: [1, 2], images: img + img)),
            .answer(AnswerBatch(ids: [1, 2], labels: [3, -1], plan: .ht)),
            .reject(ids: [4]),
            .jointImages(batch: 1, epoch: 2, count: 1, images: img),
            .jointActivations(batch: 1, layer: 2, values: [1, 2, 3, 4]),
            .jointPartial(batch: 1, values: [Float](repeating: 0.5, count: 10)),
        ]
        return msgs.map { $0.encodedFrame() }
    }()

    /// One fuzz input: a valid frame mutated (bit flips, bytes set to edge values, length
    /// and count fields rewritten, cut short, extended), or plain random bytes.
    static func input(_ rng: inout SplitMix64) -> [UInt8] {
        var f = corpus[Int(rng.next() % UInt64(corpus.count))]
        if rng.next() % 16 == 0 {
            return (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        let edge: [UInt8] = [0, 1, 0x7f, 0x80, 0xfe, 0xff]
        for _ in 0...(rng.next() % 4) {
            guard !f.isEmpty else { break }
            let i = Int(rng.next() % UInt64(f.count))
            switch rng.next() % 6 {
            case 0: f[i] ^= UInt8(1) << (rng.next() % 8)
            case 1: f[i] = edge[Int(rng.next() % UInt64(edge.count))]
            case 2: // a 4- or 8-byte field (length, count, epoch) set to an edge value
                let w = rng.next() % 2 == 0 ? 4 : 8
                for k in 0..<w where i + k < f.count { f[i + k] = rng.next() % 2 == 0 ? 0xff : 0 }
            case 3: f = Array(f.prefix(i))
            case 4: f += (0..<Int(rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            default: // keep the header consistent with a changed payload so the payload parser is reached
                if f.count >= 8 {
                    let n = UInt32(f.count - 8)
                    f[4] = UInt8(n >> 24); f[5] = UInt8((n >> 16) & 0xff); f[6] = UInt8((n >> 8) & 0xff); f[7] = UInt8(n & 0xff)
                }
            }
        }
        return f
    }

    func testDecoderNeverTrapsAndRoundTrips() throws {
        let seed = WireFuzzTests.fixedSeed ?? UInt64(Date().timeIntervalSince1970 * 1000)
        var rng = SplitMix64(seed: seed)
        let deadline = Date().addingTimeInterval(WireFuzzTests.seconds)
        var inputs = 0, decoded = 0, refused = 0
        while Date() < deadline {
            for _ in 0..<200 {
                let bytes = WireFuzzTests.input(&rng)
                inputs += 1
                let channel = EmbeddedChannel(handler: ByteToMessageHandler(WireFrameDecoder()))
                var rest = bytes[...]
                var failed = false
                while !rest.isEmpty, !failed {
                    let n = min(rest.count, 1 + Int(rng.next() % 40))
                    do { try channel.writeInbound(channel.allocator.buffer(bytes: rest.prefix(n))) } catch { failed = true }
                    rest = rest.dropFirst(n)
                }
                while let m = try? channel.readInbound(as: Message.self) {
                    decoded += 1
                    // What decodes re-encodes to a frame that decodes to the same message.
                    let again = m.encodedFrame()
                    let payload = Array(again[8...])
                    // As bytes: activations may carry NaN, which is never == itself.
                    XCTAssertEqual((try? Message.decode(type: again[3], payload: payload))?.encodedFrame(), again,
                                   "seed \(seed): round trip of \(m.type)")
                    if case .hello(let h) = m { XCTAssertLessThanOrEqual(h.planEpoch, WireFormat.maxEpoch, "seed \(seed)") }
                    if case .request(let r) = m { XCTAssertLessThanOrEqual(r.ids.count, Message.maxBatch, "seed \(seed)") }
                }
                if failed { refused += 1 }
                _ = try? channel.finish()
            }
        }
        print("WireFuzzTests: seed \(seed), \(inputs) inputs, \(decoded) decoded, \(refused) refused")
        XCTAssertGreaterThan(decoded, 0, "the mutator never produced a valid frame")
        XCTAssertGreaterThan(refused, 0, "the mutator never produced an invalid frame")
    }

    /// Random frames (each after a valid source hello, so the node's handler is reached)
    /// against a real node: it must refuse or serve them and stay up.
    func testNodeSurvivesRandomFrames() throws {
        let seed = WireFuzzTests.fixedSeed ?? UInt64(Date().timeIntervalSince1970 * 1000)
        var rng = SplitMix64(seed: seed)
        let port = RawClient.freePorts(1)[0]
        let node = try TestNode(role: "worker", port: port, peerPort: 1, tls: nil)
        defer { node.stop() }
        XCTAssertTrue(node.waitListening(), node.logText)
        let hello = Message.hello(.claiming(.source)).encodedFrame()
        let deadline = Date().addingTimeInterval(WireFuzzTests.seconds)
        var sent = 0
        while Date() < deadline {
            guard let fd = try? RawClient.connect(host: "127.0.0.1", port: port) else {
                XCTFail("seed \(seed): the node stopped accepting after \(sent) inputs:\n\(node.logText.suffix(2000))")
                return
            }
            var bytes = hello
            for _ in 0..<(1 + rng.next() % 4) { bytes += WireFuzzTests.input(&rng) }
            RawClient.send(fd, bytes)
            sent += 1
            usleep(2_000)
            close(fd)
            XCTAssertTrue(node.process.process.isRunning, "seed \(seed): the node died after \(sent) inputs:\n\(node.logText.suffix(2000))")
            if !node.process.process.isRunning { return }
        }
        print("WireFuzzTests: node seed \(seed), \(sent) connections of random frames")
        XCTAssertTrue(node.process.process.isRunning)
    }
}

