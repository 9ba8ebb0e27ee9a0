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
        let cluster = try AttachedCluster.onLoopback(secretFile: nil, runFor: 3)
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
}
