import FluidModel
import Foundation

/// One `fluid node` child process, started, signalled and restarted by the controller.
///
/// The child gets `--exit-with-parent` and a pipe on stdin whose write end only the
/// controller holds: when the controller dies in any way the pipe closes and the node
/// exits (it also watches its parent pid). `stop()` is the orderly path.
final class NodeProcess {
    let role: Role
    let executable: String
    var arguments: [String]
    let output: ClusterConfig.NodeOutput
    private(set) var process: Process?
    private var stdinPipe: Pipe?
    private let lock = NSLock()
    private var exitedFlag = true
    /// Signalled by the termination handler: waiting for an exit blocks on it, no polling.
    private var exited = DispatchSemaphore(value: 0)
    private(set) var hung = false

    init(role: Role, executable: String, arguments: [String], output: ClusterConfig.NodeOutput) {
        self.role = role; self.executable = executable; self.arguments = arguments; self.output = output
    }

    var pid: Int32? { lock.withLock { exitedFlag ? nil : process?.processIdentifier } }
    var isRunning: Bool { lock.withLock { !exitedFlag } }

    func spawn() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments + ["--exit-with-parent"]
        let pipe = Pipe()
        p.standardInput = pipe
        p.standardOutput = FileHandle.nullDevice
        switch output {
        case .inherit: p.standardError = FileHandle.standardError
        case .discard: p.standardError = FileHandle.nullDevice
        case .directory(let d):
            let path = (d as NSString).appendingPathComponent("node-\(role.rawValue).log")
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            if let h = FileHandle(forWritingAtPath: path) { h.seekToEndOfFile(); p.standardError = h }
        }
        let exited = DispatchSemaphore(value: 0)
        p.terminationHandler = { [weak self] _ in
            self?.lock.withLock { self?.exitedFlag = true }
            exited.signal()
        }
        do { try p.run() } catch { throw ClusterError.spawn("\(executable): \(error)") }
        lock.withLock { exitedFlag = false; hung = false; process = p; stdinPipe = pipe; self.exited = exited }
        // Only the controller may hold the write end; the read end was handed to the child.
        try? pipe.fileHandleForReading.close()
    }

    /// Sends `sig` (SIGKILL, SIGSTOP, SIGCONT, SIGTERM) if the process runs.
    @discardableResult
    func signal(_ sig: Int32) -> Bool {
        guard let pid = pid else { return false }
        if sig == SIGSTOP { hung = true }
        if sig == SIGCONT || sig == SIGKILL { hung = false }
        return kill(pid, sig) == 0
    }

    /// Waits up to `timeout` seconds for the process to exit.
    func waitExit(timeout: Double) -> Bool {
        guard isRunning else { return true }
        let s = lock.withLock { exited }
        if s.wait(timeout: .now() + timeout) == .success { s.signal() } // leave it signalled for the next waiter
        return !isRunning
    }

    /// Orderly stop: resume if hung, SIGTERM, then SIGKILL after `grace` seconds.
    func stop(grace: Double = 1) {
        guard isRunning else { return }
        signal(SIGCONT)
        signal(SIGTERM)
        if !waitExit(timeout: grace) {
            signal(SIGKILL)
            _ = waitExit(timeout: 2)
        }
        try? stdinPipe?.fileHandleForWriting.close()
        stdinPipe = nil
    }
}

/// Two free TCP ports on `host` (bound to port 0 and released; the OS does not hand them
/// out again right away).
func freePorts(host: String, count: Int) -> [Int] {
    var fds: [Int32] = []
    var ports: [Int] = []
    for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr(host)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        if ok { ports.append(Int(UInt16(bigEndian: addr.sin_port))) }
        fds.append(fd)
    }
    for fd in fds { close(fd) }
    return ports
}
