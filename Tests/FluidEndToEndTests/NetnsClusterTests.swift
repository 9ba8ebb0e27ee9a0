import Foundation
import XCTest

/// Real hosts (issue 5 item 9): the two nodes in two network namespaces joined by a veth
/// pair, each with its own address on a private /30 that exists only inside those
/// namespaces (nothing leaves the machine), with TLS. The source runs in the
/// Master's namespace and reaches the Worker over the veth. Nothing may assume loopback.
///
/// Needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN), as in CI; skips with the reason otherwise.
final class NetnsClusterTests: XCTestCase {
    /// Two namespaces and a veth pair; `remove()` undoes all of it.
    struct Netns {
        let a: String, b: String
        let addrA: String, addrB: String

        static func create() throws -> Netns {
            let pid = getpid()
            let subnet = Int(pid % 63) * 4          // a /30 inside 10.231.<x>.0/24
            let x = Int(pid / 63 % 250)
            let n = Netns(a: "fluidA-\(pid)", b: "fluidB-\(pid)",
                          addrA: "10.231.\(x).\(subnet + 1)", addrB: "10.231.\(x).\(subnet + 2)")
            n.remove()                              // leftovers of a crashed run with this pid
            do {
                try ip(["netns", "add", n.a])
            } catch {
                throw XCTSkip("cannot create network namespaces here (needs root / CAP_SYS_ADMIN): \(error)")
            }
            do {
                try ip(["netns", "add", n.b])
                let (va, vb) = ("fva\(pid)", "fvb\(pid)")
                try ip(["link", "add", va, "netns", n.a, "type", "veth", "peer", "name", vb, "netns", n.b])
                try ip(["-n", n.a, "addr", "add", "\(n.addrA)/30", "dev", va])
                try ip(["-n", n.b, "addr", "add", "\(n.addrB)/30", "dev", vb])
                for (ns, dev) in [(n.a, va), (n.b, vb), (n.a, "lo"), (n.b, "lo")] { try ip(["-n", ns, "link", "set", dev, "up"]) }
            } catch {
                n.remove()
                throw error
            }
            return n
        }

        /// Deleting a namespace deletes its end of the veth, which deletes the pair.
        func remove() {
            for ns in [a, b] { try? Netns.ip(["netns", "del", ns], quiet: true) }
        }

        static func ip(_ args: [String], quiet: Bool = false) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: AttachedCluster.ipTool)
            p.arguments = args
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            guard p.terminationStatus == 0 else {
                throw NSError(domain: "ip", code: Int(p.terminationStatus),
                              userInfo: [NSLocalizedDescriptionKey: "ip \(args.joined(separator: " ")): \(text)"])
            }
        }
    }

    func testClusterAcrossTwoNamespacesServesAndDetectsAWorkerKill() throws {
        let weights = try FluidBinary.shippedFluidWeights()
        _ = try FluidBinary.path()
        guard getuid() == 0 else { throw XCTSkip("network namespaces need root (CI runs as root); uid \(getuid())") }
        let ns = try Netns.create()
        defer { ns.remove() }
        let tls = try makeTLSDirectory()
        let cluster = try AttachedCluster(master: .init(role: "master", host: ns.addrA, port: 7411, netns: ns.a),
                                          worker: .init(role: "worker", host: ns.addrB, port: 7412, netns: ns.b),
                                          tlsDirectory: tls)
        defer { cluster.stop() }                    // runs before ns.remove()
        try cluster.startNodes(weights: weights)
        try cluster.startRun(duration: 4, netns: ns.a)
        let context = { "run: \(cluster.runStderr.suffix(1500))\nmaster: \(cluster.nodeLogText("master").suffix(1500))\nworker: \(cluster.nodeLogText("worker").suffix(1500))" }
        guard cluster.waitForFirstSample() else { return XCTFail("no traffic across the namespaces\n\(context())") }

        // The Worker dies (SIGKILL) on its own host mid-stream.
        guard let worker = cluster.nodes["worker"] else { return XCTFail("no worker") }
        worker.kill9()
        let (code, session) = try cluster.finishRun(within: 30)
        XCTAssertEqual(code, 0, context())
        assertServed(session, context: context())

        // Both nodes ran the joint plan across the veth before the kill (checked below, once the
        // kill's time is known: a node's own solo start-up plan may be the first one seen) …
        let master = cluster.nodeLogText("master")
        XCTAssertTrue(master.contains("\(ns.addrA):7411"), "master did not listen on its namespace address:\n\(master.suffix(1500))")
        XCTAssertTrue(master.contains("handshake"), master.suffix(1500).description)
        // … the kill was seen through the connection closing, and the Master carried on alone.
        guard let down = session.events("device-down").first(where: { $0["device"] as? String == "worker" }) else {
            return XCTFail("the Worker's death was not detected: \(session.events)\n\(context())")
        }
        XCTAssertEqual(down["detected_by"] as? String, "connection-closed", "\(down)")
        let t = down["t"] as? Double ?? 0
        XCTAssertTrue(session.plans.contains { $0.plan == "ha-100" && $0.t < t }, "\(session.plans)")
        XCTAssertEqual(session.plans(after: t + 0.3).first, "solo-50", "\(session.plans)")
        let after = session.samples.filter { ($0["t"] as? Double ?? 0) > t + 0.5 }
        XCTAssertTrue(after.contains { ($0["throughput"] as? Double ?? 0) > 0 }, "no answers after the kill: \(session.samples)")
    }

    /// A node told to listen beyond loopback without --tls refuses to start, with one line
    /// saying why.
    func testNonLoopbackListenWithoutTLSRefusesToStart() throws {
        let weights = try FluidBinary.shippedFluidWeights()
        let (code, _, err) = try FluidBinary.run(["node", "--role", "worker", "--listen", "0.0.0.0:7414",
                                                  "--peer", "127.0.0.1:7413", "--weights", weights], timeout: 20)
        XCTAssertNotEqual(code, 0, "a node listened on 0.0.0.0 without TLS")
        XCTAssertTrue(err.contains("beyond loopback") && err.contains("--tls"), err)
    }
}
