import FluidCluster
import Foundation
import NIOConcurrencyHelpers
import XCTest

/// Issue 12 item 4 with real node processes: a client that floods requests and never
/// reads, and a thousand connections that say hello and nothing more, against the
/// `ConnectionLimits` defaults.
final class ResourceLimitTests: XCTestCase {
    /// The bound the issue asks for, MB of resident memory of a node.
    static let rssBoundMB = 300.0

    static func rssMB(_ pid: Int32) -> Double? {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb / 1024
    }

    /// Flooders against both nodes of a serving cluster: requests of 256 images as fast as
    /// the socket takes them, nothing read. The nodes stay under `rssBoundMB` and the real
    /// source loses nothing.
    func testFloodThatNeverReadsKeepsMemoryBoundedAndTheClusterServing() throws {
        let cluster = try AttachedCluster.onLoopback(tlsDirectory: nil, runFor: 9)
        defer { cluster.stop() }
        XCTAssertTrue(cluster.waitForFirstSample(), "no traffic: \(cluster.runStderr.suffix(2000))")
        let pids = ["master", "worker"].compactMap { r in cluster.nodes[r].map { (r, $0.pid) } }
        var before: [String: Double] = [:]
        for (r, p) in pids { before[r] = ResourceLimitTests.rssMB(p) }

        let n = Message.maxBatch
        let request = Message.request(RequestBatch(ids: (0..<UInt64(n)).map { $0 }, images: [UInt8](repeating: 9, count: n * 784)))
        let frame = Message.hello(.claiming(.source)).encodedFrame()
        let flood = request.encodedFrame()
        let stop = Date().addingTimeInterval(6)
        let counts = NIOLockedValueBox((sent: 0, reconnects: 0))
        let group = DispatchGroup()
        for node in [cluster.master, cluster.worker] {
            for _ in 0..<3 {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    while Date() < stop {
                        guard let fd = try? RawClient.connect(host: node.host, port: node.port) else { usleep(50_000); continue }
                        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
                        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                        var small: Int32 = 1 << 16
                        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
                        guard RawClient.send(fd, frame) else { close(fd); continue }
                        var blocked = 0
                        while Date() < stop {
                            let k = flood.withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                            if k == flood.count { counts.withLockedValue { $0.sent += 1 }; blocked = 0; continue }
                            if k < 0, errno == EAGAIN || errno == EWOULDBLOCK { blocked += 1; continue }
                            break  // closed by the node, or a partial frame: start over
                        }
                        close(fd)
                        counts.withLockedValue { $0.reconnects += 1 }
                    }
                }
            }
        }
        var peak: [String: Double] = [:]
        while Date() < stop.addingTimeInterval(1) {
            for (r, p) in pids { if let m = ResourceLimitTests.rssMB(p) { peak[r] = max(peak[r] ?? 0, m) } }
            usleep(100_000)
        }
        group.wait()
        let (sentFrames, reconnects) = counts.withLockedValue { ($0.sent, $0.reconnects) }
        print("ResourceLimitTests: flood sent \(sentFrames) frames of \(n) images (\(reconnects) reconnects); "
              + "RSS MB before \(before), peak \(peak)")
        XCTAssertGreaterThan(sentFrames, 0, "the flood sent nothing")
        for (r, m) in peak {
            XCTAssertLessThan(m, ResourceLimitTests.rssBoundMB, "\(r) grew to \(m) MB under the flood (bound \(ResourceLimitTests.rssBoundMB))")
        }
        let (code, session) = try cluster.finishRun(within: 30)
        XCTAssertEqual(code, 0, cluster.runStderr.suffix(2000).description)
        assertServed(session, context: cluster.runStderr.suffix(1000).description)
        XCTAssertEqual(session.events("device-down").count, 0, "the flood took a device down: \(session.events)")
        for r in ["master", "worker"] { XCTAssertTrue(cluster.nodes[r]?.process.isRunning ?? false, "\(r) died") }
    }

    /// ~1000 connections that say hello and nothing more (as many as the descriptor limit
    /// allows), opened on a Worker before its Master starts: the Master still joins.
    func testIdleConnectionsDoNotKeepTheRealPeerOut() throws {
        var lim = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        if lim.rlim_cur < 1200 { lim.rlim_cur = min(lim.rlim_max, 1200); setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) }
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        let count = min(1000, Int(lim.rlim_cur) - 100)
        let ports = RawClient.freePorts(2)
        let worker = try TestNode(role: "worker", port: ports[1], peerPort: ports[0], tls: nil)
        defer { worker.stop() }
        XCTAssertTrue(worker.waitListening(), worker.logText)
        let hello = Message.hello(.claiming(.source)).encodedFrame()
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        for _ in 0..<count {
            guard let fd = try? RawClient.connect(host: "127.0.0.1", port: ports[1]) else { break }
            RawClient.send(fd, hello)
            fds.append(fd)
        }
        XCTAssertGreaterThan(fds.count, 500, "could open only \(fds.count) connections")
        let master = try TestNode(role: "master", port: ports[0], peerPort: ports[1], tls: nil)
        defer { master.stop() }
        let joined = master.waitForLog("peer deployed plan", within: 10) || worker.waitForLog("deploying plan", within: 1)
        XCTAssertTrue(joined, "the Master did not join behind \(fds.count) idle connections:\n"
                      + "worker: \(worker.logText.suffix(1500))\nmaster: \(master.logText.suffix(1000))")
        XCTAssertTrue(worker.logText.contains("the limit (ConnectionLimits.maxConnections)"), worker.logText.suffix(1500).description)
        XCTAssertTrue(worker.logText.contains("ConnectionLimits.idleTimeout"), worker.logText.suffix(1500).description)
        XCTAssertTrue(worker.process.process.isRunning)
    }
}
