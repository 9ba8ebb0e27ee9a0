import FluidCluster
import FluidModel
import FluidTransport
import Foundation
import XCTest

/// `--secret-file` with real processes (issue 5 item 7): a cluster that shares a secret
/// serves as usual; clients without it are disconnected, with a logged reason naming
/// them, while the cluster keeps serving.
final class AuthProcessTests: XCTestCase {

    /// `fluid run` spawns its nodes with the secret and its source passes their challenge.
    /// A controller that did not hand the file to its nodes could not start (its own
    /// challenge would meet a node speaking plain frames).
    func testRunWithSecretFileServesWithNothingLost() throws {
        _ = try FluidBinary.path()
        let secret = try makeSecretFile()
        let logs = NSTemporaryDirectory() + "fluid-auth-run-\(getpid())"
        let (code, out, err) = try FluidBinary.run(["run", "--headless", "--duration", "2", "--secret-file", secret,
                                                    "--node-logs", logs], timeout: 60)
        XCTAssertEqual(code, 0, err.suffix(2000).description)
        assertServed(try Session(out), context: err.suffix(1000).description)
        for role in ["master", "worker"] {
            let log = (try? String(contentsOfFile: "\(logs)/node-\(role).log", encoding: .utf8)) ?? ""
            XCTAssertTrue(log.contains("handshake"), "\(role) log shows no handshake:\n\(log.suffix(1500))")
            XCTAssertFalse(log.contains("authentication failed"), "\(role):\n\(log.suffix(1500))")
        }
    }

    func testMissingOrEmptySecretFileIsRefusedWithAMessage() throws {
        let weights = try FluidBinary.shippedFluidWeights()
        let (code, _, err) = try FluidBinary.run(["node", "--role", "master", "--listen", "127.0.0.1:1", "--peer", "127.0.0.1:2",
                                                  "--weights", weights, "--secret-file", "/nonexistent/secret"], timeout: 30)
        XCTAssertNotEqual(code, 0)
        XCTAssertTrue(err.contains("/nonexistent/secret"), err)
        let empty = try makeSecretFile("")
        let (code2, _, err2) = try FluidBinary.run(["run", "--headless", "--duration", "1", "--secret-file", empty], timeout: 30)
        XCTAssertNotEqual(code2, 0)
        XCTAssertTrue(err2.contains("is empty"), err2)
    }

    /// While a session runs against two nodes with a secret, clients without it try their
    /// luck on both nodes: each is disconnected (EOF) with a logged reason naming its
    /// address, and the session goes on: answers after the intrusions, nothing lost.
    func testIntrudersAreDisconnectedWhileTheClusterServes() throws {
        let secret = try makeSecretFile()
        let cluster = try AttachedCluster.onLoopback(secretFile: secret, runFor: 3.5)
        defer { cluster.stop() }
        XCTAssertTrue(cluster.waitForFirstSample(), "no traffic: \(cluster.runStderr.suffix(2000))")
        let samplesBefore = cluster.samplesSoFar

        let wrongKey = try SharedSecret(bytes: Array("not the cluster's secret, sorry!".utf8)).key
        let hello = Message.hello(Hello(role: .source, kind: .fluid, weightsSHA256: "", nodeID: "intruder", incarnation: 1,
                                        planEpoch: 0)).encodedFrame()
        // (name, what it does on the socket, reason expected in the node's log)
        let intruders: [(String, (Int32) -> Void, String)] = [
            ("plain Fluid client", { fd in RawClient.send(fd, hello) }, "without authenticating"),
            ("garbage", { fd in RawClient.send(fd, Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) }, "bad auth magic"),
            ("wrong secret", { fd in
                let mine = AuthWire.randomNonce()
                RawClient.send(fd, AuthWire.frame(.challenge, body: mine))
                let theirs = RawClient.read(fd, count: AuthWire.frameLength, within: 2)
                guard theirs.count == AuthWire.frameLength else { return }
                RawClient.send(fd, AuthWire.frame(.proof, body: AuthWire.proof(key: wrongKey, initiator: true, nonceInitiator: mine,
                                                                               nonceAcceptor: Array(theirs[4...]))))
            }, "wrong proof"),
            ("reflection", { fd in
                let theirs = RawClient.read(fd, count: AuthWire.frameLength, within: 2)
                RawClient.send(fd, theirs)
            }, "reflection"),
            ("wrong auth version", { fd in RawClient.send(fd, [0x46, 0x41, 99, 1]) }, "auth version 99"),
            ("silent", { _ in }, "no handshake"),
        ]
        for (name, act, reason) in intruders {
            for node in [cluster.master, cluster.worker] {
                let fd = try RawClient.connect(host: node.host, port: node.port)
                let local = RawClient.localPort(fd)
                act(fd)
                XCTAssertTrue(RawClient.closedByPeer(fd, within: 3), "\(name): \(node.role) kept the connection open")
                close(fd)
                usleep(30_000)
                let log = cluster.nodeLogText(node.role)
                let line = log.split(separator: "\n").first { $0.contains(reason) && $0.contains(":\(local)") }
                XCTAssertNotNil(line, "\(name): \(node.role) logged no '\(reason)' naming 127.0.0.1:\(local):\n\(log.suffix(1500))")
            }
        }

        let (code, session) = try cluster.finishRun(within: 30)
        XCTAssertEqual(code, 0, cluster.runStderr.suffix(2000).description)
        assertServed(session, context: cluster.runStderr.suffix(1000).description)
        // The cluster never noticed: no device went down, and it answered after the attacks.
        XCTAssertEqual(session.events("device-down").count, 0, "\(session.events)")
        let later = session.samples.dropFirst(samplesBefore)
        XCTAssertTrue(later.contains { ($0["throughput"] as? Double ?? 0) > 0 }, "no answers after the intrusions: \(session.samples)")
    }
}
