import FluidDashboard
import Foundation
import XCTest

/// `fluid demo` for real: the release binary in a detached tmux session of 100×30,
/// two node processes on loopback, keys sent with `tmux send-keys`, the screen read
/// with `tmux capture-pane -p`. Waits have generous deadlines and assert what the
/// screen shows, never how fast.
final class DemoEndToEndTests: XCTestCase {
    static let packageRoot = FluidBinary.packageRoot.resolvingSymlinksInPath()
    static let binary = packageRoot.appendingPathComponent(".build/release/fluid").path

    /// A private tmux server, so the test neither sees nor disturbs the user's sessions.
    let socket = "fluid-e2e-\(getpid())"
    let session = "demo"

    /// Runs tmux and returns its stdout and stderr. Spawned with posix_spawn, not
    /// Foundation's Process: a tmux server forked from a Process child on Linux
    /// never answers its clients ("no server running"). Output goes through a file,
    /// since the forked server would keep a pipe open.
    @discardableResult
    func tmux(_ args: String...) throws -> String {
        let outPath = NSTemporaryDirectory() + "fluid-e2e-tmux-\(getpid())-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        let argv = ["tmux", "-u", "-L", socket] + args
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, "tmux", &actions, nil, cargs, environ)
        guard rc == 0 else { throw TmuxFailed(args: args, status: rc, output: "posix_spawnp: \(rc)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        // WIFEXITED && WEXITSTATUS == 0, spelled out (the macros are not imported).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw TmuxFailed(args: args, status: status, output: text)
        }
        return text
    }

    struct TmuxFailed: Error { let args: [String]; let status: Int32; let output: String }

    func screen() -> String {
        do { return try tmux("capture-pane", "-p", "-t", session) } catch { return "(no screen: \(error))" }
    }

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
        continueAfterFailure = false
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            return XCTFail("\(Self.binary) is missing: build it first with `swift build -c release` (or `make`)")
        }
        guard (try? tmux("-V")).map({ $0.contains("tmux") }) == true else {
            throw XCTSkip("tmux is not installed")
        }
        let log = NSTemporaryDirectory() + "fluid-e2e-\(getpid()).log"
        let recordings = NSTemporaryDirectory() + "fluid-e2e-rec-\(getpid())"
        try? FileManager.default.removeItem(atPath: recordings)
        defer { try? FileManager.default.removeItem(atPath: recordings) }
        // The data folders the demo looks in (README: data) pass through to the tmux server.
        let env = ProcessInfo.processInfo.environment
        let data = ["MNIST_DIR", "FLUID_DATA"].compactMap { k in env[k].map { "\(k)='\($0)' " } }.joined()
        let command = "cd '\(Self.packageRoot.path)' && TERM=xterm-256color FLUID_DEMO_LOG='\(log)' \(data)"
            + "'\(Self.binary)' demo --kind fluid --mode ha --record '\(recordings)'; echo FLUID-DEMO-EXIT=$?; sleep 60"
        try tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command)
        var seenPids = Set<Int32>()
        defer {
            _ = try? tmux("kill-server")
            for pid in seenPids { kill(pid, SIGKILL) }  // never leave nodes behind, even on failure
        }

        var s = waitFor("plan ha-100 with both devices up") {
            (Self.header($0).contains("ha-100") && Self.masterState($0) == "UP") || $0.contains("FLUID-DEMO-EXIT=")
        }
        XCTAssertFalse(s.contains("FLUID-DEMO-EXIT="), "fluid demo exited at start:\n\(s)")
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

        // Both devices down: nothing serves. The header says so in words (and red), the
        // plan is `none`, not the last one announced, and nobody is leader.
        try tmux("send-keys", "-t", session, "m")
        waitFor("Master DOWN") { Self.masterState($0) == "DOWN" }
        try tmux("send-keys", "-t", session, "w")
        s = waitFor("OUTAGE with plan none") {
            Self.header($0).contains("OUTAGE") && Self.header($0).contains("plan none")
        }
        XCTAssertFalse(s.contains("leader"), "a dead device shown as leader:\n\(s)")
        XCTAssertTrue(s.contains("Nothing serves"), s)
        // Stay down across two one-second samples, so the recording's check below (samples
        // say `none` and `outage` while both are down) always has a sample to look at.
        usleep(2_200_000)

        try tmux("send-keys", "-t", session, "m", "w")
        s = waitFor("both back and plan ha-100") {
            Self.header($0).contains("ha-100") && Self.masterState($0) == "UP" && !$0.contains("DOWN")
        }
        seenPids.formUnion(Self.pids(s))

        // m w m w faster than the processes die: kill, kill, revive, revive — both end up.
        try tmux("send-keys", "-t", session, "m", "w", "m", "w")
        usleep(1_500_000)
        s = waitFor("both up again after m w m w") {
            Self.header($0).contains("ha-100") && Self.masterState($0) == "UP" && !$0.contains("DOWN")
        }
        seenPids.formUnion(Self.pids(s))

        // Help opens with ? and closes with Esc.
        try tmux("send-keys", "-t", session, "?")
        waitFor("help open") { $0.contains("Esc or ? closes") }
        try tmux("send-keys", "-t", session, "Escape")
        waitFor("help closed by Esc") { !$0.contains("Esc or ? closes") }

        // 2 then 3 at once: the switch to Dynamic is followed by the queued one to Fluid.
        try tmux("send-keys", "-t", session, "2", "3")
        s = waitFor("back on fluid after 2 3", seconds: 90) {
            $0.contains("running Fluid") && Self.header($0).contains("fluid") && Self.header($0).contains("ha-100")
        }
        seenPids.formUnion(Self.pids(s))

        // r ends the recording: the full path is shown, and the log gets its summary now.
        try tmux("send-keys", "-t", session, "r")
        s = waitFor("recording saved with its full path") { $0.contains("recording saved: \(recordings)/fluid-") }

        try tmux("send-keys", "-t", session, "q")
        // The shell prints the exit status once the demo is gone (and keeps the pane
        // open, so a failure's message stays readable).
        s = waitFor("fluid demo to exit on q") { $0.contains("FLUID-DEMO-EXIT=") }
        XCTAssertTrue(s.contains("FLUID-DEMO-EXIT=0"), "fluid demo exited with an error:\n\(s)")

        // No node process left: neither the pids we saw nor any `fluid node` child of this binary.
        for pid in seenPids {
            XCTAssertNotEqual(kill(pid, 0), 0, "node pid \(pid) is still running after quit")
        }
        let pgrepOut = NSTemporaryDirectory() + "fluid-e2e-pgrep-\(getpid()).out"
        XCTAssertTrue(FileManager.default.createFile(atPath: pgrepOut, contents: nil), "cannot create \(pgrepOut)")
        defer { try? FileManager.default.removeItem(atPath: pgrepOut) }
        let pgrep = Process()
        pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        pgrep.arguments = ["pgrep", "-f", "fluid node"]  // others may run nodes too: only ours count
        pgrep.standardOutput = FileHandle(forWritingAtPath: pgrepOut)
        try pgrep.run()
        pgrep.waitUntilExit()
        let left = (try? String(contentsOfFile: pgrepOut, encoding: .utf8)) ?? ""
        let ours = left.split(separator: "\n").compactMap { Int32($0) }.filter { seenPids.contains($0) }
        XCTAssertTrue(ours.isEmpty, "fluid node processes left: \(ours)")

        // The recorded session log names the weights the nodes ran: the shipped file's SHA-256.
        let logs = try FileManager.default.contentsOfDirectory(atPath: recordings).filter { $0.hasSuffix(".jsonl") }
        XCTAssertEqual(logs.count, 1, "expected one session log in \(recordings): \(logs)")
        let session = try SessionLogParser.parse(contentsOf: (recordings as NSString).appendingPathComponent(logs[0]))
        let weights = Self.packageRoot.appendingPathComponent("Assets/models/fluid.safetensors").path
        let expected = try Self.sha256(ofFile: weights)
        XCTAssertEqual(expected.count, 64)
        XCTAssertEqual(session.header.fields["weights_sha256"]?.string, expected, "header: \(session.header.fields)")
        XCTAssertNotNil(session.summary, "the log ends with the summary written when r stopped the recording")
        // The log starts with the start-up events (the recording began after the nodes did).
        let from = session.header.fields["recording_from"]?.double ?? 0
        XCTAssertGreaterThan(from, 0)
        XCTAssertTrue(session.events.contains { $0.event == "plan" && $0.t <= from }, "\(session.events.prefix(3))")
        XCTAssertNotNil(session.header.fields["started_at"]?.string)
        // Each key press was one fault: m, m, m w, m w, m w m w = 5 kills and 5 revives.
        let faults = session.events.filter { $0.event == "fault" }.compactMap { $0.fields["action"]?.string }
        XCTAssertEqual(faults.filter { $0 == "kill" }.count, 5, "\(faults)")
        XCTAssertEqual(faults.filter { $0 == "revive" }.count, 5, "\(faults)")
        let kinds = session.events.filter { $0.event == "kind" }.compactMap { $0.fields["kind"]?.string }
        XCTAssertEqual(kinds, ["dynamic", "fluid"])
        // Both down: the samples say `none` and `outage`, never a stale plan.
        let outage = session.samples.filter { $0.devices.values.allSatisfy { $0.state != .up } && !$0.devices.isEmpty }
        XCTAssertFalse(outage.isEmpty, "no sample with both devices down")
        XCTAssertTrue(outage.allSatisfy { $0.plan == .none && $0.fields["health"]?.string == "outage" },
                      "\(outage.map { ($0.t, $0.plan) })")
    }

    /// `sha256sum FILE`, independent of the code under test.
    static func sha256(ofFile path: String) throws -> String {
        let out = Pipe()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sha256sum", path]
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}
