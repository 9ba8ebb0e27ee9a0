import Foundation
import NIOConcurrencyHelpers
import XCTest

/// A plain blocking TCP client for tests that play a hostile or foreign peer.
enum RawClient {
    static func connect(host: String, port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr(host)
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else {
            let e = errno
            close(fd)
            throw NSError(domain: "connect", code: Int(e), userInfo: [NSLocalizedDescriptionKey: "connect \(host):\(port): \(String(cString: strerror(e)))"])
        }
        return fd
    }

    @discardableResult
    static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads until the peer closes (EOF or reset) or `seconds` pass; true when it closed.
    /// Whatever it sends first (an auth challenge, a refuse frame) is skipped.
    static func closedByPeer(_ fd: Int32, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buf = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            if recv(fd, &buf, buf.count, 0) <= 0 { return true }
        }
        return false
    }

    /// Reads exactly `count` bytes (or fewer if the peer closes or `seconds` pass).
    static func read(_ fd: Int32, count: Int, within seconds: Double) -> [UInt8] {
        let deadline = Date().addingTimeInterval(seconds)
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: count)
        while out.count < count, Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            let n = recv(fd, &buf, count - out.count, 0)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }
}

/// A fresh `fluid keygen` folder (real CLI, real files).
func makeTLSDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "fluid-tls-\(getpid())-\(UUID().uuidString.prefix(8))"
    let (code, _, err) = try FluidBinary.run(["keygen", dir])
    guard code == 0 else { throw NSError(domain: "keygen", code: Int(code), userInfo: [NSLocalizedDescriptionKey: err]) }
    return dir
}

/// A child process whose stdout lines are collected as they come (a `fluid run` whose
/// session log the test watches live).
final class LiveProcess: Sendable {
    let process = Process()
    /// Bytes of an unfinished line, and the lines so far.
    private let output = NIOLockedValueBox((buffer: Data(), lines: [String]()))
    private let done = DispatchSemaphore(value: 0)
    /// Held so that `--exit-with-parent` children exit when the test process dies.
    private let stdinPipe = Pipe()

    /// `command[0]` is the executable; stderr goes to `stderrPath`.
    init(_ command: [String], stderrPath: String) throws {
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = FluidBinary.packageRoot
        process.environment = FluidBinary.environment
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = stdinPipe
        let out = Pipe()
        process.standardOutput = out
        let reader = out.fileHandleForReading
        try process.run()
        Thread.detachNewThread { [self] in
            while true {
                let d = reader.availableData
                if d.isEmpty { break }
                output.withLockedValue { o in
                    o.buffer += d
                    while let nl = o.buffer.firstIndex(of: 0x0a) {
                        o.lines.append(String(decoding: o.buffer[o.buffer.startIndex..<nl], as: UTF8.self))
                        o.buffer = Data(o.buffer[(nl + 1)...])
                    }
                }
            }
            done.signal()
        }
    }

    var lines: [String] { output.withLockedValue { $0.lines } }
    var pid: Int32 { process.processIdentifier }

    /// Waits until a stdout line satisfies `predicate` (true) or the process ends / `seconds` pass.
    func waitForLine(within seconds: Double, _ predicate: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if lines.contains(where: predicate) { return true }
            if !process.isRunning { return lines.contains(where: predicate) }
            usleep(20_000)
        }
        return false
    }

    /// Waits for exit (and the last stdout bytes); SIGKILLs after `seconds`.
    @discardableResult
    func finish(within seconds: Double) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        _ = done.wait(timeout: .now() + 5)
        return process.terminationStatus
    }

    func kill9() {
        if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
    }
}

/// Two `fluid node` processes started by the test (optionally inside network namespaces)
/// and `fluid run --headless --attach` driving them, so a test knows the nodes' addresses
/// and can attack or kill them while the session runs.
final class AttachedCluster {
    struct Node { var role: String; var host: String; var port: Int; var netns: String? }
    let master: Node, worker: Node
    let tlsDirectory: String?
    let logDir: String
    private(set) var nodes: [String: LiveProcess] = [:]
    private(set) var run: LiveProcess?

    init(master: Node, worker: Node, tlsDirectory: String?) throws {
        self.master = master; self.worker = worker; self.tlsDirectory = tlsDirectory
        logDir = NSTemporaryDirectory() + "fluid-attached-\(getpid())-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
    }

    static let ipTool = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "ip"

    func command(netns: String?, _ args: [String]) throws -> [String] {
        let fluid = try FluidBinary.path()
        return (netns.map { [AttachedCluster.ipTool, "netns", "exec", $0] } ?? []) + [fluid] + args
    }

    func nodeLog(_ role: String) -> String { "\(logDir)/node-\(role).log" }
    func nodeLogText(_ role: String) -> String { (try? String(contentsOfFile: nodeLog(role), encoding: .utf8)) ?? "" }
    var runStderr: String { (try? String(contentsOfFile: "\(logDir)/run.stderr", encoding: .utf8)) ?? "" }

    func startNodes(weights: String) throws {
        for (me, other) in [(master, worker), (worker, master)] {
            var args = ["node", "--role", me.role, "--listen", "\(me.host):\(me.port)", "--peer", "\(other.host):\(other.port)",
                        "--weights", weights, "--exit-with-parent"]
            if let d = tlsDirectory { args += ["--tls", d] }
            nodes[me.role] = try LiveProcess(try command(netns: me.netns, args), stderrPath: nodeLog(me.role))
        }
    }

    /// Starts `fluid run --headless --attach …` (in `netns` if given) for `duration` seconds.
    func startRun(duration: Double, netns: String?, extra: [String] = []) throws {
        var args = ["run", "--headless", "--kind", "fluid", "--duration", "\(duration)",
                    "--attach", "master=\(master.host):\(master.port),worker=\(worker.host):\(worker.port)"] + extra
        if let d = tlsDirectory { args += ["--tls", d] }
        run = try LiveProcess(try command(netns: netns, args), stderrPath: "\(logDir)/run.stderr")
    }

    /// Waits for the first per-second sample (traffic flows).
    func waitForFirstSample(within seconds: Double = 20) -> Bool {
        run?.waitForLine(within: seconds) { $0.contains("\"type\":\"sample\"") } ?? false
    }

    /// Per-second samples the run has written so far.
    var samplesSoFar: Int { run?.lines.filter { $0.contains("\"type\":\"sample\"") }.count ?? 0 }

    /// Both nodes on free loopback ports, on the shipped Fluid weights, with a run of
    /// `duration` s driving them; the caller stops the cluster (also when this throws, it
    /// has stopped whatever it started).
    static func onLoopback(tlsDirectory: String?, runFor duration: Double) throws -> AttachedCluster {
        let weights = try FluidBinary.shippedFluidWeights()
        _ = try FluidBinary.path()
        let ports = RawClient.freePorts(2)
        let cluster = try AttachedCluster(master: .init(role: "master", host: "127.0.0.1", port: ports[0], netns: nil),
                                          worker: .init(role: "worker", host: "127.0.0.1", port: ports[1], netns: nil),
                                          tlsDirectory: tlsDirectory)
        do {
            try cluster.startNodes(weights: weights)
            try cluster.startRun(duration: duration, netns: nil)
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    /// Waits for the run to end and parses its session log.
    func finishRun(within seconds: Double) throws -> (Int32, Session) {
        guard let r = run else { throw NSError(domain: "run", code: 1) }
        let code = r.finish(within: seconds)
        return (code, try Session(r.lines.filter { $0.hasPrefix("{") }))
    }

    func stop() {
        run?.kill9()
        for n in nodes.values { n.kill9() }
    }
}

/// Asserts the session log of a run: a summary, nothing lost, predictions made.
func assertServed(_ s: Session, context: String, file: StaticString = #filePath, line: UInt = #line) {
    guard let summary = s.summary else { return XCTFail("no summary line; \(context)", file: file, line: line) }
    XCTAssertEqual(summary["lost"] as? Int, 0, "lost ≠ 0; \(context)", file: file, line: line)
    XCTAssertEqual(summary["sent"] as? Int, summary["answered"] as? Int, context, file: file, line: line)
    XCTAssertGreaterThan(summary["predicted"] as? Int ?? 0, 0, "no predictions; \(context)", file: file, line: line)
}

extension RawClient {
    /// The local port of a connected socket (how a node's log names this client).
    static func localPort(_ fd: Int32) -> Int {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// `count` distinct free loopback ports (bound together, then released).
    static func freePorts(_ count: Int) -> [Int] {
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        return (0..<count).map { _ in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            fds.append(fd)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            return localPort(fd)
        }
    }
}
