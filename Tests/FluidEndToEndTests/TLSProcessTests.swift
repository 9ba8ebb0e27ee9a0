import FluidCluster
import FluidTransport
import Foundation
import NIOConcurrencyHelpers
import XCTest

/// Issue 12 (docs/security.md) with real processes: a `--tls` cluster serves with nothing lost
/// while clients without a certificate, with a foreign CA's, or with a real certificate of
/// the wrong role try their attacks; each is refused with a logged reason.
final class TLSProcessTests: XCTestCase {
    func testKeygenWritesTheLayoutAndRefusesToOverwrite() throws {
        let dir = try makeTLSDirectory()
        for role in [PeerRole.master, .worker, .source] {
            var st = stat()
            XCTAssertEqual(stat("\(dir)/\(role).key", &st), 0)
            XCTAssertEqual(st.st_mode & 0o777, 0o600, "\(role).key is not mode 0600")
            XCTAssertNoThrow(try ClusterTLS(directory: dir, role: role))
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/ca.pem"))
        // A certificate renamed to another role is refused when loaded.
        let mixed = NSTemporaryDirectory() + "fluid-tls-mixed-\(getpid())"
        try? FileManager.default.removeItem(atPath: mixed)
        try FileManager.default.copyItem(atPath: dir, toPath: mixed)
        _ = try? FileManager.default.removeItem(atPath: "\(mixed)/master.pem")
        _ = try? FileManager.default.removeItem(atPath: "\(mixed)/master.key")
        try FileManager.default.copyItem(atPath: "\(dir)/worker.pem", toPath: "\(mixed)/master.pem")
        try FileManager.default.copyItem(atPath: "\(dir)/worker.key", toPath: "\(mixed)/master.key")
        XCTAssertThrowsError(try ClusterTLS(directory: mixed, role: .master)) { e in
            XCTAssertTrue("\(e)".contains("bound to role worker"), "\(e)")
        }

        let (again, _, err) = try FluidBinary.run(["keygen", dir])
        XCTAssertNotEqual(again, 0)
        XCTAssertTrue(err.contains("already exists") && err.contains("--force"), err)
        let (forced, _, ferr) = try FluidBinary.run(["keygen", dir, "--force"])
        XCTAssertEqual(forced, 0, ferr)
    }

    func testSecretFileIsGoneWithAPointerToKeygen() throws {
        let (code, _, err) = try FluidBinary.run(["node", "--role", "worker", "--listen", "127.0.0.1:1", "--peer", "127.0.0.1:2",
                                                  "--weights", "x", "--secret-file", "/etc/hostname"])
        XCTAssertNotEqual(code, 0)
        XCTAssertTrue(err.contains("fluid keygen") && err.contains("--tls"), err)
    }

    /// The whole attack list against a serving `--tls` cluster; the run ends with lost 0,
    /// no device down and both nodes alive.
    func testAttacksOnATLSClusterAreRefusedWhileItServes() throws {
        let dir = try makeTLSDirectory()
        let foreign = try makeTLSDirectory()
        let cluster = try AttachedCluster.onLoopback(tlsDirectory: dir, runFor: 6)
        defer { cluster.stop() }
        XCTAssertTrue(cluster.waitForFirstSample(), "no traffic over TLS: \(cluster.runStderr.suffix(2000))\n"
                      + cluster.nodeLogText("master").suffix(1500))
        let m = cluster.master.port, w = cluster.worker.port
        func log(_ role: String) -> String { cluster.nodeLogText(role) }
        func logged(_ role: String, _ text: String, within seconds: Double = 3) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline { if log(role).contains(text) { return true }; usleep(20_000) }
            return false
        }

        // 1. No TLS at all: a plaintext Fluid hello.
        let fd = try RawClient.connect(host: "127.0.0.1", port: w)
        RawClient.send(fd, Message.hello(.claiming(.source)).encodedFrame())
        XCTAssertTrue(RawClient.closedByPeer(fd, within: 3), "a plaintext client kept its connection")
        close(fd)

        // 2. TLS without a client certificate: the handshake fails.
        let noCert = try TLSAttacker(port: w, directory: dir, identity: nil)
        noCert.send(.hello(.claiming(.source)))
        XCTAssertTrue(noCert.closedByNode(within: 3), "a client without a certificate kept its connection")
        XCTAssertFalse(noCert.received.contains { if case .hello = $0 { return true }; return false }, "no-cert client got a hello")

        // 3. A certificate from another cluster's CA.
        let stranger = try TLSAttacker(port: m, directory: foreign, identity: "source")
        stranger.send(.hello(.claiming(.source)))
        XCTAssertTrue(stranger.closedByNode(within: 3), "a foreign CA's certificate was accepted")
        XCTAssertTrue(stranger.received.isEmpty)

        // 4. A (stolen) Worker certificate saying hello as the Master, to the Master.
        let fakeMaster = try TLSAttacker(port: m, directory: dir, identity: "worker")
        fakeMaster.send(.hello(.claiming(.master)))
        XCTAssertTrue(fakeMaster.closedByNode(within: 3), "a worker certificate said hello as master and stayed")
        XCTAssertTrue(logged("master", "hello claims role master but the peer's certificate is bound to role worker"),
                      log("master").suffix(2000).description)

        // 5. The Worker certificate dialing the Worker: its own role may not connect to it.
        let selfDial = try TLSAttacker(port: w, directory: dir, identity: "worker")
        selfDial.send(.hello(.claiming(.worker)))
        XCTAssertTrue(selfDial.closedByNode(within: 3))
        XCTAssertTrue(logged("worker", "bound to role worker, which may not open this connection"), log("worker").suffix(2000).description)

        // 6. A source certificate sending a joint frame, a plan and an ack.
        let images = [UInt8](repeating: 0, count: 784)
        let attacks: [(Message, String)] = [
            (.jointImages(batch: 1, epoch: 1, count: 1, images: images), "joint frames come from the peer only"),
            (.plan(PlanAnnouncement(epoch: 99, plan: .solo50, leader: .master, mode: .ha, reason: "forged")),
             "only the peer device may send a plan"),
            (.deployAck(epoch: 1, needsPeerAfter: [true, true]), "only the peer device may acknowledge a plan"),
        ]
        for (frame, reason) in attacks {
            let src = try TLSAttacker(port: w, directory: dir, identity: "source")
            src.send(.hello(.claiming(.source)))
            XCTAssertTrue(src.waitFor(within: 3) { if case .hello = $0 { return true }; return false },
                          "the worker did not answer a real source's hello")
            src.send(frame)
            XCTAssertTrue(src.closedByNode(within: 3), "\(frame.type) from a source kept the connection")
            XCTAssertTrue(logged("worker", reason), "no '\(reason)' in the worker's log")
        }

        let (code, session) = try cluster.finishRun(within: 30)
        XCTAssertEqual(code, 0, cluster.runStderr.suffix(2000).description)
        assertServed(session, context: cluster.runStderr.suffix(1000).description)
        XCTAssertEqual(session.events("device-down").count, 0, "an attack took a device down: \(session.events)")
        XCTAssertTrue(session.plans.contains { $0.plan == "ha-100" }, "the TLS cluster never ran joint: \(session.plans)")
        for role in ["master", "worker"] { XCTAssertTrue(cluster.nodes[role]?.process.isRunning ?? false, "\(role) died") }
    }

    /// The relay of issue 12: whatever the Master sends towards its peer is bounced back to
    /// the Master's own port. With TLS the relay holds no key and the two ends both prove
    /// the Master's role, which neither accepts from its peer: no peer link, no joint plan.
    func testReflectionRelayCannotJoinAsTheWorker() throws {
        let dir = try makeTLSDirectory()
        let ports = RawClient.freePorts(2)
        let masterPort = ports[0], relayPort = ports[1]
        let relay = try Relay(listen: relayPort, target: masterPort)
        defer { relay.stop() }
        let master = try TestNode(role: "master", port: masterPort, peerPort: relayPort, tls: dir)
        defer { master.stop() }
        XCTAssertTrue(master.waitListening(), master.logText)
        XCTAssertTrue(master.waitForLog("bound to role master, which may not open this connection", within: 10), master.logText)
        usleep(500_000)
        XCTAssertGreaterThan(relay.connections, 0, "the Master never dialed the relay")
        let text = master.logText
        XCTAssertFalse(text.contains("deploying plan"), "the Master deployed a plan over the relay:\n\(text.suffix(2000))")
        XCTAssertFalse(text.contains("peer deployed plan"), text.suffix(2000).description)
        XCTAssertFalse(text.split(separator: "\n").contains { $0.contains("handshake") && $0.contains("worker(") },
                       "the relay completed a handshake as the worker:\n\(text.suffix(2000))")
        XCTAssertTrue(master.process.process.isRunning)
    }
}

/// A TCP relay: each accepted connection is joined to a new connection to `target` and
/// bytes are pumped both ways (the attacker of issue 12, holding no key).
final class Relay: Sendable {
    private let listenFD: Int32
    /// Connections accepted, and every socket opened for them.
    private let state = NIOLockedValueBox((count: 0, fds: [Int32]()))

    init(listen port: Int, target: Int) throws {
        listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listenFD, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0, listen(listenFD, 16) == 0 else { throw NSError(domain: "relay", code: Int(errno)) }
        Thread.detachNewThread { [self] in
            while true {
                let c = accept(listenFD, nil, nil)
                if c < 0 { return }
                guard let t = try? RawClient.connect(host: "127.0.0.1", port: target) else { close(c); continue }
                state.withLockedValue { $0.count += 1; $0.fds += [c, t] }
                for (a, b) in [(c, t), (t, c)] {
                    Thread.detachNewThread {
                        var buf = [UInt8](repeating: 0, count: 65536)
                        while true {
                            let n = read(a, &buf, buf.count)
                            if n <= 0 { break }
                            if !RawClient.send(b, Array(buf[0..<n])) { break }
                        }
                        shutdown(b, Int32(SHUT_WR))
                    }
                }
            }
        }
    }

    var connections: Int { state.withLockedValue { $0.count } }

    func stop() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        for fd in state.withLockedValue({ $0.fds }) { shutdown(fd, Int32(SHUT_RDWR)) }
    }
}
