import Foundation
import XCTest

/// `fluid demo` for real: the release binary in a detached tmux session of 100×30,
/// two node processes on loopback, keys sent with `tmux send-keys`, the screen read
/// with `tmux capture-pane -p`. Waits have generous deadlines and assert what the
/// screen shows, never how fast.
final class DemoEndToEndTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = packageRoot.appendingPathComponent(".build/release/fluid").path

    /// A private tmux server, so the test neither sees nor disturbs the user's sessions.
    let socket = "fluid-e2e-\(getpid())"
    let session = "demo"

    @discardableResult
    func tmux(_ args: String...) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["tmux", "-u", "-L", socket] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    func screen() -> String { (try? tmux("capture-pane", "-p", "-t", session)) ?? "" }

    func sessionAlive() -> Bool { (try? tmux("has-session", "-t", session)).map { _ in true } ?? false }

    /// Polls the screen until `condition` holds; fails with the last screen if the
    /// deadline passes (a generous one: this is a liveness check, not a timing test).
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 60, file: StaticString = #filePath, line: UInt = #line,
                 _ condition: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = screen()
            if condition(last) { return last }
            usleep(200_000)
        }
        XCTFail("timed out waiting for \(what); screen:\n\(last)", file: file, line: line)
        return last
    }

    /// The Master panel is the left half of the panel rows: its state word.
    static func masterState(_ screen: String) -> String? {
        for line in screen.split(separator: "\n") where line.hasPrefix("│ ") {
            let left = String(line.prefix(50))
            for word in ["UP", "DOWN", "HUNG"] where left.contains(" \(word)") { return word }
        }
        return nil
    }

    static func header(_ screen: String) -> String { String(screen.split(separator: "\n").first ?? "") }

    static func pids(_ screen: String) -> Set<Int32> {
        var out = Set<Int32>()
        let parts = screen.components(separatedBy: "pid ")
        for p in parts.dropFirst() {
            if let n = Int32(p.prefix { $0.isNumber }) { out.insert(n) }
        }
        return out
    }

    func testCrashAndReviveTheMasterThenQuit() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            return XCTFail("\(Self.binary) is missing: build it first with `swift build -c release` (or `make`)")
        }
        guard (try? tmux("-V")).map({ $0.contains("tmux") }) == true else {
            throw XCTSkip("tmux is not installed")
        }
        let log = NSTemporaryDirectory() + "fluid-e2e-\(getpid()).log"
        // The data folders the demo looks in (DESIGN §6) pass through to the tmux server.
        let env = ProcessInfo.processInfo.environment
        let data = ["MNIST_DIR", "FLUID_DATA"].compactMap { k in env[k].map { "\(k)='\($0)' " } }.joined()
        let command = "cd '\(Self.packageRoot.path)' && TERM=xterm-256color FLUID_DEMO_LOG='\(log)' \(data)"
            + "exec '\(Self.binary)' demo --kind fluid --mode ha"
        try tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command)
        var seenPids = Set<Int32>()
        defer {
            _ = try? tmux("kill-server")
            for pid in seenPids { kill(pid, SIGKILL) }  // never leave nodes behind, even on failure
        }

        var s = waitFor("plan ha-100 with both devices up") {
            Self.header($0).contains("ha-100") && Self.masterState($0) == "UP"
        }
        seenPids.formUnion(Self.pids(s))
        XCTAssertEqual(seenPids.count, 2, "expected the two node pids on screen:\n\(s)")

        try tmux("send-keys", "-t", session, "m")
        s = waitFor("Master DOWN and plan solo-u50") {
            Self.header($0).contains("solo-u50") && Self.masterState($0) == "DOWN"
        }
        XCTAssertTrue(s.contains("Master down") || s.contains("Master · follower"), s)

        try tmux("send-keys", "-t", session, "m")
        s = waitFor("Master back and plan ha-100") {
            Self.header($0).contains("ha-100") && Self.masterState($0) == "UP"
        }
        seenPids.formUnion(Self.pids(s))

        try tmux("send-keys", "-t", session, "q")
        let deadline = Date().addingTimeInterval(30)
        while sessionAlive(), Date() < deadline { usleep(200_000) }
        XCTAssertFalse(sessionAlive(), "fluid demo did not exit on q; screen:\n\(screen())")

        // No node process left: neither the pids we saw nor any `fluid node` child of this binary.
        for pid in seenPids {
            XCTAssertNotEqual(kill(pid, 0), 0, "node pid \(pid) is still running after quit")
        }
        let pgrep = Process()
        pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        pgrep.arguments = ["pgrep", "-f", "\(Self.binary) node"]
        let out = Pipe()
        pgrep.standardOutput = out
        try pgrep.run()
        let left = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        pgrep.waitUntilExit()
        let ours = left.split(separator: "\n").compactMap { Int32($0) }.filter { seenPids.contains($0) }
        XCTAssertTrue(ours.isEmpty, "fluid node processes left: \(ours)")
    }
}
