import FluidModel
import Foundation
import NIOConcurrencyHelpers

/// One `fluid node` child process, started, signalled and restarted by the controller.
///
/// The child gets `--exit-with-parent` and a pipe on stdin whose write end only the
/// controller holds: when the controller dies in any way the pipe closes and the node
/// exits (it also watches its parent pid). `stop()` is the orderly path.
final class NodeProcess: Sendable {
    let role: Role
    let executable: String
    let output: ClusterConfig.NodeOutput
    private struct State {
        var arguments: [String]
        var process: Process?
        var stdinPipe: Pipe?
        var exited = true
        /// Signalled by the termination handler: waiting for an exit blocks on it, no polling.
        var exitSignal = DispatchSemaphore(value: 0)
        var hung = false
    }
    private let state: NIOLockedValueBox<State>

    init(role: Role, executable: String, arguments: [String], output: ClusterConfig.NodeOutput) {
        self.role = role; self.executable = executable; self.output = output
        state = NIOLockedValueBox(State(arguments: arguments))
    }

    /// The command line of the next `spawn` (a kind switch changes the weight file).
    var arguments: [String] {
        get { state.withLockedValue { $0.arguments } }
        set { state.withLockedValue { $0.arguments = newValue } }
    }
    var pid: Int32? { state.withLockedValue { $0.exited ? nil : $0.process?.processIdentifier } }
    var isRunning: Bool { state.withLockedValue { !$0.exited } }
    var hung: Bool { state.withLockedValue { $0.hung } }

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
        let state = self.state
        p.terminationHandler = { _ in
            state.withLockedValue { $0.exited = true }
            exited.signal()
        }
        do { try p.run() } catch { throw ClusterError.spawn("\(executable): \(error)") }
        state.withLockedValue {
            $0.exited = false; $0.hung = false; $0.process = p; $0.stdinPipe = pipe; $0.exitSignal = exited
        }
        // Only the controller may hold the write end; the read end was handed to the child.
        try? pipe.fileHandleForReading.close()
    }

    /// Sends `sig` (SIGKILL, SIGSTOP, SIGCONT, SIGTERM) if the process runs.
    @discardableResult
    func signal(_ sig: Int32) -> Bool {
        guard let pid = pid else { return false }
        state.withLockedValue {
            if sig == SIGSTOP { $0.hung = true }
            if sig == SIGCONT || sig == SIGKILL { $0.hung = false }
        }
        return kill(pid, sig) == 0
    }

    /// Waits up to `timeout` seconds for the process to exit.
    func waitExit(timeout: Double) -> Bool {
        guard isRunning else { return true }
        let s = state.withLockedValue { $0.exitSignal }
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
        let pipe = state.withLockedValue { s -> Pipe? in defer { s.stdinPipe = nil }; return s.stdinPipe }
        try? pipe?.fileHandleForWriting.close()
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
