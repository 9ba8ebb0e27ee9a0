import FluidCluster
import FluidModel
import Foundation
import XCTest

/// docs/cluster.md invariant 4 against a running `fluid node`: garbage, a wrong version, an
/// oversized length and a frame cut short each close that connection with a logged
/// reason, and the node keeps serving a well-behaved source afterwards.
final class HostileInputTests: XCTestCase {
    func testMalformedInputClosesOnlyThatConnection() throws {
        let binary = try FluidBinary.path()
        let weights = try FluidBinary.shippedFluidWeights()
        let port = try freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fluid-hostile-\(getpid()).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let node = Process()
        node.executableURL = URL(fileURLWithPath: binary)
        // A Worker alone: it leads and serves solo-u50 while no Master is there.
        node.arguments = ["node", "--role", "worker", "--listen", "127.0.0.1:\(port)", "--peer", "127.0.0.1:1",
                          "--weights", weights]
        node.standardError = try FileHandle(forWritingTo: log)
        node.standardOutput = FileHandle.nullDevice
        try node.run()
        defer { node.terminate(); node.waitUntilExit() }

        // Wait until it serves a proper source.
        let deadline = Date().addingTimeInterval(10)
        var ready = false
        while Date() < deadline, !ready { ready = (try? handshakeAndPredict(port: port)) == true; if !ready { usleep(50_000) } }
        XCTAssertTrue(ready, "node never served a source")

        var badVersion = Message.setMode(.ha).encodedFrame()
        badVersion[2] = WireFormat.version &+ 7
        let oversized: [UInt8] = [0x46, 0x44, WireFormat.version, MessageType.request.rawValue, 0x7f, 0xff, 0xff, 0xff]
        let hello = Message.hello(sourceHello).encodedFrame()
        let cases: [(String, [UInt8], String)] = [
            ("garbage", Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), "bad magic"),
            ("wrong version", badVersion, "wire version"),
            ("oversized", oversized, "exceeds the limit"),
            ("truncated", Array(hello.prefix(hello.count - 5)), "middle of a frame"),
            ("not hello first", Message.request(RequestBatch(ids: [1], images: [UInt8](repeating: 0, count: 784))).encodedFrame(),
             "expected hello first"),
        ]
        for (name, bytes, reason) in cases {
            let fd = try connect(port: port)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if name == "truncated" { shutdown(fd, Int32(SHUT_WR)) }
            XCTAssertTrue(closedByPeer(fd, within: 3), "\(name): the node kept the connection open")
            close(fd)
            // The node keeps serving others.
            XCTAssertTrue(try handshakeAndPredict(port: port), "\(name): node stopped serving")
            usleep(50_000)
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            XCTAssertTrue(text.contains(reason), "\(name): no logged reason containing '\(reason)'")
        }
        XCTAssertTrue(node.isRunning)
    }

    var sourceHello: Hello {
        Hello(role: .source, kind: .fluid, weightsSHA256: "", nodeID: "test", incarnation: 1, planEpoch: 0)
    }

    /// Handshake as a source, send one image, expect a prediction (solo-u50) back.
    func handshakeAndPredict(port: Int) throws -> Bool {
        let fd = try connect(port: port)
        defer { close(fd) }
        try write(fd, Message.hello(sourceHello).encodedFrame())
        var decoder = FrameDecoder()
        var gotHello = false, sentRequest = false
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline {
            var buf = [UInt8](repeating: 0, count: 65536)
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            let n = recv(fd, &buf, buf.count, 0)
            guard n > 0 else { return false }
            decoder.append(Array(buf[0..<n]))
            while let m = try decoder.next() {
                switch m {
                case .hello(let h): gotHello = h.role == .worker
                case .plan(let a) where gotHello && !sentRequest && a.plan == .soloU50:
                    try write(fd, Message.request(RequestBatch(ids: [42], images: [UInt8](repeating: 0, count: 784))).encodedFrame())
                    sentRequest = true
                case .answer(let a): return a.ids == [42] && a.labels.count == 1 && a.labels[0] >= 0
                default: break
                }
            }
        }
        return false
    }

    func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { close(fd); throw NSError(domain: "connect", code: Int(errno)) }
        return fd
    }

    func write(_ fd: Int32, _ bytes: [UInt8]) throws {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n == bytes.count else { throw NSError(domain: "send", code: Int(errno)) }
    }

    /// True when the peer closes (EOF or reset) within `seconds`; frames it sends first
    /// (a `refuse`) are skipped.
    func closedByPeer(_ fd: Int32, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buf = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { return true }
        }
        return false
    }

    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
