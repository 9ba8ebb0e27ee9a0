import FluidDashboard
import Foundation
import XCTest

final class RecordingTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "fluid-dash-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Parses an asciicast v2 file: header object with version 2 and the size,
    /// then `[number, "o"|"m"|"r", string]` per line, times non-decreasing.
    func parseCast(_ path: String) throws -> (header: [String: Any], events: [(Double, String, String)]) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(text.last, "\n", "every line is terminated")
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        var events: [(Double, String, String)] = []
        var last = 0.0
        for (i, line) in lines.dropFirst().enumerated() {
            let arr = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Any], "line \(i + 2)")
            XCTAssertEqual(arr.count, 3, "line \(i + 2): \(line)")
            let t = try XCTUnwrap((arr[0] as? NSNumber)?.doubleValue, "line \(i + 2): time")
            let code = try XCTUnwrap(arr[1] as? String)
            let data = try XCTUnwrap(arr[2] as? String)
            XCTAssertTrue(["o", "m", "r"].contains(code), "line \(i + 2): code \(code)")
            XCTAssertGreaterThanOrEqual(t, last, "line \(i + 2): time goes back")
            last = t
            events.append((t, code, data))
        }
        return (header, events)
    }

    func testAsciicastWriterOutputParses() throws {
        var now = 100.0
        let path = dir + "/a.cast"
        let w = try AsciicastWriter(path: path, columns: 80, rows: 24, title: "test", clock: { now })
        let ui = DashboardUIState()
        try w.frame(Dashboard.render(Fixtures.healthy(), ui: ui, rows: 24, columns: 80))
        now += 0.25
        try w.marker("kill master")
        now += 0.25
        try w.frame(Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80))
        now += 0.25
        try w.frame(Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80))  // unchanged: no event
        now += 0.25
        try w.frame(Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 30, columns: 100))
        w.close()

        let (header, events) = try parseCast(path)
        XCTAssertEqual(header["version"] as? Int, 2)
        XCTAssertEqual(header["width"] as? Int, 80)
        XCTAssertEqual(header["height"] as? Int, 24)
        XCTAssertNotNil(header["timestamp"] as? Int)
        XCTAssertEqual(events.map(\.1), ["o", "m", "o", "r", "o"])
        XCTAssertEqual(events[0].0, 0, accuracy: 1e-9)
        XCTAssertEqual(events[1].0, 0.25, accuracy: 1e-9)
        XCTAssertEqual(events[1].2, "kill master")
        XCTAssertEqual(events[3].2, "100x30")
        // The first frame clears and draws everything; the second only what changed.
        XCTAssertTrue(events[0].2.hasPrefix("\u{1b}[0m\u{1b}[H\u{1b}[2J"))
        XCTAssertTrue(events[0].2.contains("ha-100"))
        XCTAssertTrue(events[2].2.contains("DOWN"))
        XCTAssertLessThan(events[2].2.utf8.count, events[0].2.utf8.count)
    }

    /// Replaying the ANSI diffs on a tiny VT emulator rebuilds the screen.
    func testANSIDiffsRebuildTheScreen() {
        let r = ANSIRenderer(colour: false)
        let ui = DashboardUIState()
        let a = Dashboard.render(Fixtures.healthy(), ui: ui, rows: 24, columns: 80)
        let b = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
        var vt = TinyVT(rows: 24, columns: 80)
        vt.feed(r.diff(from: nil, to: a))
        XCTAssertEqual(vt.text, a.text)
        vt.feed(r.diff(from: a, to: b))
        XCTAssertEqual(vt.text, b.text)
        XCTAssertEqual(r.diff(from: b, to: b), "")
    }

    func testSessionRecorderMarksFaultEventsOnce() throws {
        let rec = try SessionRecorder(directory: dir + "/rec", columns: 80, rows: 24, colour: true,
                                      title: "t", lastEventSequence: 1)
        let snap = Fixtures.masterDown()
        let ui = DashboardUIState()
        let screen = Dashboard.render(snap, ui: ui, rows: 24, columns: 80)
        try rec.record(screen, snapshot: snap)
        try rec.record(screen, snapshot: snap)
        try rec.mark("key: crash/revive Master")
        rec.close()
        XCTAssertTrue(rec.castPath.hasSuffix(".cast"))
        XCTAssertTrue(rec.sessionLogPath.hasSuffix(".jsonl"))
        let (_, events) = try parseCast(rec.castPath)
        // Events 2 and 3 are markers and newer than 1; each is marked once.
        XCTAssertEqual(events.filter { $0.1 == "m" }.map(\.2),
                       ["Master down (kill) · detected in 140 ms", "plan solo-u50: master down",
                        "key: crash/revive Master"])
    }

    func testReplayExportsACastWithMarkersAtFaultsAndPlans() throws {
        let log = try SessionLogParser.parse(Data(Fixtures.sessionLog.utf8), name: "s.jsonl")
        let path = dir + "/r.cast"
        let frames = try CastExport.export(log, name: "s.jsonl", to: path, columns: 80, rows: 24, fps: 4)
        XCTAssertEqual(frames, 13)  // 0, 0.25, … 3.0
        let (header, events) = try parseCast(path)
        XCTAssertEqual(header["version"] as? Int, 2)
        XCTAssertEqual(events.filter { $0.1 == "m" }.map(\.2),
                       ["kill Master", "Master down (kill, by connection-closed) · detected in 140 ms",
                        "plan solo-u50: master down · 150 ms after the fault"])
        XCTAssertEqual(events.last?.0 ?? 0, 3.0, accuracy: 1e-9)
        XCTAssertTrue(events.contains { $0.1 == "o" && $0.2.contains("solo-u50") })
    }

    func testUnwritableDirectoryIsAClearError() {
        XCTAssertThrowsError(try SessionRecorder(directory: "/proc/definitely/not", columns: 80, rows: 24,
                                                 colour: true, title: "t", lastEventSequence: 0)) { error in
            XCTAssertTrue("\(error)".contains("/proc/definitely/not"), "\(error)")
        }
    }
}

/// Just enough of a VT100 to check the recording: CUP, ED 2, SGR (ignored), text.
struct TinyVT {
    var grid: [[Character]]
    var row = 0, col = 0

    init(rows: Int, columns: Int) {
        grid = Array(repeating: Array(repeating: " ", count: columns), count: rows)
    }

    mutating func feed(_ s: String) {
        var it = Array(s)[...]
        while let ch = it.popFirst() {
            guard ch == "\u{1b}" else {
                if row < grid.count, col < grid[row].count { grid[row][col] = ch }
                col += 1
                continue
            }
            _ = it.popFirst()  // "["
            var params = ""
            while let p = it.first, p.isNumber || p == ";" { params.append(p); it = it.dropFirst() }
            let final = it.popFirst()
            let n = params.split(separator: ";").compactMap { Int($0) }
            switch final {
            case "H": row = (n.first ?? 1) - 1; col = (n.count > 1 ? n[1] : 1) - 1
            case "J": for r in grid.indices { grid[r] = grid[r].map { _ in " " } }
            default: break
            }
        }
    }

    var text: String {
        grid.map { String($0).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
            .joined(separator: "\n")
    }
}
