import FluidCluster
import FluidModel
import Foundation
import XCTest

/// docs/cluster.md invariant 4 while a whole cluster serves: hostile clients hit both nodes of a
/// running session with frames built from `WireFormat` — garbage, a wrong magic, a wrong
/// wire version, an oversized length, an unknown type, a frame cut short then closed.
/// Each connection is closed by the node (EOF) with a logged reason; the session goes on
/// with nothing lost and no device down. (HostileInputTests covers a lone node.)
final class HostileInputClusterTests: XCTestCase {
    func testHostileClientsAreClosedWhileTheClusterServes() throws {
        let cluster = try AttachedCluster.onLoopback(tlsDirectory: nil, runFor: 3)
        defer { cluster.stop() }
        XCTAssertTrue(cluster.waitForFirstSample(), "no traffic: \(cluster.runStderr.suffix(2000))")
        let samplesBefore = cluster.samplesSoFar

        let hello = Message.hello(Hello(role: .source, kind: .fluid, weightsSHA256: "", nodeID: "hostile", incarnation: 1,
                                        planEpoch: 0)).encodedFrame()
        var header: [UInt8] = []
        FrameHeader.write(type: .request, length: 16, into: &header)
        var wrongMagic = header; wrongMagic[1] = 0x58
        var wrongVersion = hello; wrongVersion[2] = WireFormat.version &+ 1
        var oversized: [UInt8] = []
        FrameHeader.write(type: .request, length: WireFormat.maxPayload + 1, into: &oversized)
        var unknownType = header; unknownType[3] = 0xEE
        // (name, bytes, whether to close our sending side after them, reason in the node's log)
        let attacks: [(String, [UInt8], Bool, String)] = [
            ("garbage", Array("\u{0}\u{1}binary junk from a port scanner".utf8), false, "bad magic"),
            ("wrong magic", wrongMagic + [UInt8](repeating: 0, count: 16), false, "bad magic 0x4658"),
            ("wrong version", wrongVersion, false, "wire version \(WireFormat.version &+ 1)"),
            ("oversized length", oversized, false, "exceeds the limit"),
            ("unknown type", unknownType, false, "unknown message type"),
            ("cut short", Array(hello.prefix(hello.count - 3)), true, "middle of a frame"),
        ]
        for (name, bytes, halfClose, reason) in attacks {
            for node in [cluster.master, cluster.worker] {
                let fd = try RawClient.connect(host: node.host, port: node.port)
                let local = RawClient.localPort(fd)
                RawClient.send(fd, bytes)
                if halfClose { shutdown(fd, Int32(SHUT_WR)) }
                XCTAssertTrue(RawClient.closedByPeer(fd, within: 3), "\(name): \(node.role) kept the connection open")
                close(fd)
                usleep(30_000)
                let log = cluster.nodeLogText(node.role)
                XCTAssertNotNil(log.split(separator: "\n").first { $0.contains(reason) && $0.contains(":\(local)") },
                                "\(name): \(node.role) logged no '\(reason)' naming port \(local):\n\(log.suffix(1500))")
            }
        }

        let (code, session) = try cluster.finishRun(within: 30)
        XCTAssertEqual(code, 0, cluster.runStderr.suffix(2000).description)
        assertServed(session, context: cluster.runStderr.suffix(1000).description)
        XCTAssertEqual(session.events("device-down").count, 0, "a hostile client took a device down: \(session.events)")
        let later = session.samples.dropFirst(samplesBefore)
        XCTAssertTrue(later.contains { ($0["throughput"] as? Double ?? 0) > 0 }, "no answers after the attacks: \(session.samples)")
        for role in ["master", "worker"] {
            XCTAssertTrue(cluster.nodes[role]?.process.isRunning ?? false, "\(role) died")
        }
    }

    /// Issue 12: a hello with a huge plan epoch, then two mode changes, trapped both nodes on
    /// overflow (exit 132). Now an epoch beyond 2^48 closes that connection at decode, a
    /// source's epoch within the bound is ignored, oversized batches are refused, and the
    /// cluster serves on with nothing lost.
    func testHugeEpochThenModeChangesAndOversizedBatchesDoNotTrapTheNodes() throws {
        let cluster = try AttachedCluster.onLoopback(tlsDirectory: nil, runFor: 4)
        defer { cluster.stop() }
        XCTAssertTrue(cluster.waitForFirstSample(), "no traffic: \(cluster.runStderr.suffix(2000))")
        var tooMany: [UInt8] = []
        FrameHeader.write(type: .request, length: 4 + 257 * (8 + 784), into: &tooMany)
        tooMany += [0, 0, 1, 1] + [UInt8](repeating: 0, count: 257 * (8 + 784))
        for node in [cluster.master, cluster.worker] {
            // Beyond the bound: refused where decoded.
            let fd = try RawClient.connect(host: node.host, port: node.port)
            RawClient.send(fd, Message.hello(.claiming(.source, epoch: UInt64.max)).encodedFrame())
            XCTAssertTrue(RawClient.closedByPeer(fd, within: 3), "\(node.role) kept a hello with epoch 2^64-1")
            close(fd)
            // Within the bound: the epoch is ignored, the mode changes are obeyed.
            let fd2 = try RawClient.connect(host: node.host, port: node.port)
            RawClient.send(fd2, Message.hello(.claiming(.source, epoch: WireFormat.maxEpoch)).encodedFrame()
                           + Message.setMode(.ht).encodedFrame() + Message.setMode(.ha).encodedFrame())
            usleep(300_000)
            // A request of 257 images: more than any node computes.
            RawClient.send(fd2, tooMany)
            XCTAssertTrue(RawClient.closedByPeer(fd2, within: 3), "\(node.role) kept a 257-image request")
            close(fd2)
        }
        usleep(300_000)
        for node in [cluster.master, cluster.worker] {
            let log = cluster.nodeLogText(node.role)
            XCTAssertTrue(log.contains("exceeds 281474976710656 (2^48)"), "\(node.role): \(log.suffix(1500))")
            XCTAssertTrue(log.contains("count 257 exceeds 256"), "\(node.role): \(log.suffix(1500))")
        }
        let (code, session) = try cluster.finishRun(within: 30)
        XCTAssertEqual(code, 0, cluster.runStderr.suffix(2000).description)
        assertServed(session, context: cluster.runStderr.suffix(1000).description)
        for role in ["master", "worker"] {
            XCTAssertTrue(cluster.nodes[role]?.process.isRunning ?? false, "\(role) died: \(cluster.nodeLogText(role).suffix(1500))")
        }
    }
}
