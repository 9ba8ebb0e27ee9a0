import FluidDashboard
import Foundation
import XCTest

final class SessionLogTests: XCTestCase {
    func parse(_ text: String) throws -> SessionLog {
        try SessionLogParser.parse(Data(text.utf8), name: "s.jsonl")
    }

    func testParsesASampleLogAndIgnoresUnknownFieldsAndTypes() throws {
        let log = try parse(Fixtures.sessionLog)
        XCTAssertEqual(log.header.version, 1)
        XCTAssertEqual(log.header.kind, .fluid)
        XCTAssertEqual(log.header.mode, .ha)
        XCTAssertEqual(log.samples.count, 2)
        XCTAssertEqual(log.samples[0].plan, .ha100)
        XCTAssertEqual(log.samples[0].throughput, 1200.5)
        XCTAssertEqual(log.samples[0].accuracy, 0.991)
        XCTAssertEqual(log.samples[1].devices[.master]?.state, .down)
        XCTAssertEqual(log.events.map(\.event), ["fault", "device-down", "plan"])
        XCTAssertEqual(log.events[1].fields["detect_ms"]?.double, 140.2)
        XCTAssertEqual(log.summary?.counters.lost, 0)
        XCTAssertEqual(log.summary?.counters.sent, 2400)
        XCTAssertEqual(log.duration, 3.0)
    }

    func assertBadLine(_ text: String, line: Int, mentions: String,
                       file: StaticString = #filePath, lineNo: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: lineNo) { error in
            guard let e = error as? SessionLogError else {
                return XCTFail("not a SessionLogError: \(error)", file: file, line: lineNo)
            }
            XCTAssertEqual(e.line, line, "\(e)", file: file, line: lineNo)
            XCTAssertEqual(e.file, "s.jsonl", file: file, line: lineNo)
            XCTAssertTrue(e.description.contains("s.jsonl:\(line):"), e.description, file: file, line: lineNo)
            XCTAssertTrue(e.description.contains(mentions), e.description, file: file, line: lineNo)
        }
    }

    func testBadLinesAreRejectedWithTheirLineNumber() {
        let lines = Fixtures.sessionLog.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func with(_ n: Int, _ replacement: String) -> String {
            var l = lines
            l[n - 1] = replacement
            return l.joined(separator: "\n")
        }
        assertBadLine(with(2, "{\"type\":\"sample\",\"t\":1.0,"), line: 2, mentions: "not valid JSON")
        assertBadLine(with(4, "[1,2,3]"), line: 4, mentions: "JSON object")
        assertBadLine(with(5, "{\"t\":2.1}"), line: 5, mentions: "\"type\"")
        assertBadLine(with(6, "{\"type\":\"event\",\"t\":\"soon\",\"event\":\"plan\"}"), line: 6, mentions: "\"t\"")
        assertBadLine(with(6, "{\"type\":\"event\",\"t\":-1,\"event\":\"plan\"}"), line: 6, mentions: "non-negative")
        assertBadLine(with(8, "{\"type\":\"sample\",\"t\":3,\"throughput\":1,\"plan\":\"ha-100\",\"devices\":{\"master\":{\"state\":\"zombie\"}}}"),
                      line: 8, mentions: "zombie")
        assertBadLine(with(8, "{\"type\":\"sample\",\"t\":3,\"plan\":\"x\"}"), line: 8, mentions: "throughput")
        assertBadLine(with(8, "{\"type\":\"header\",\"format\":\"fluid-session\",\"version\":1}"), line: 8,
                      mentions: "second header")
    }

    func testHeaderIsRequiredAndVersioned() {
        assertBadLine("{\"type\":\"sample\",\"t\":1,\"throughput\":1,\"plan\":\"ha-100\"}", line: 1, mentions: "header")
        assertBadLine("{\"type\":\"header\",\"format\":\"other\",\"version\":1}", line: 1, mentions: "fluid-session")
        assertBadLine("\n{\"type\":\"header\",\"format\":\"fluid-session\",\"version\":2}", line: 2,
                      mentions: "version 2")
        XCTAssertThrowsError(try parse("")) { XCTAssertTrue("\($0)".contains("no header"), "\($0)") }
        XCTAssertThrowsError(try SessionLogParser.parse(Data([0xff, 0xfe, 0x00]), name: "bin")) {
            XCTAssertTrue("\($0)".contains("bin"), "\($0)")
        }
        XCTAssertThrowsError(try SessionLogParser.parse(contentsOf: "/nonexistent/x.jsonl")) {
            XCTAssertTrue("\($0)".contains("/nonexistent/x.jsonl"), "\($0)")
        }
    }

    func testReplayDriverShowsTheSessionAtATime() throws {
        let log = try parse(Fixtures.sessionLog)
        var now = 0.0
        let d = ReplayDriver(log: log, name: "s.jsonl", clock: { now })

        let early = d.snapshot(at: 1.5)
        XCTAssertEqual(early.plan, .ha100)
        XCTAssertEqual(early.master.state, .up)
        XCTAssertTrue(early.master.isLeader)
        XCTAssertEqual(early.master.job.label, "100 (joint)")
        XCTAssertEqual(early.master.latencyP99ms, 4.25)
        XCTAssertEqual(early.master.bytesReceived, 2000)
        XCTAssertEqual(early.counters.inFlight, 10)
        XCTAssertTrue(early.events.isEmpty)

        let late = d.snapshot(at: 3.0)
        XCTAssertEqual(late.plan, .soloU50)
        XCTAssertEqual(late.planReason, "master down")
        XCTAssertEqual(late.master.state, .down)
        XCTAssertTrue(late.worker.isLeader)
        XCTAssertEqual(late.worker.job.label, "u50")
        XCTAssertEqual(late.throughputHistory, [1200.5, 900])
        XCTAssertEqual(late.events.count, 3)
        XCTAssertEqual(late.events[1].severity, .failure)
        XCTAssertTrue(late.events[1].text.contains("Master down (kill"), late.events[1].text)
        XCTAssertTrue(late.events[1].text.contains("140 ms"), late.events[1].text)
        XCTAssertEqual(late.counters.lost, 0, "the summary's lost shows at the end")

        // The same through the dashboard: what the user sees at the end of the replay.
        let screen = Dashboard.render(late, ui: DashboardUIState(keyTable: .replay), rows: 24, columns: 80)
        XCTAssertTrue(screen.line(0).contains("solo-u50"), screen.dump)
        XCTAssertNotNil(screen.firstRow(containing: "✖ DOWN"), screen.dump)

        // Playback follows the clock × speed, pauses, and stops at the end.
        XCTAssertEqual(d.position, 0)
        now = 1
        XCTAssertEqual(d.position, 1, accuracy: 1e-9)
        d.perform(.replayFaster)
        now = 1.5
        XCTAssertEqual(d.position, 2, accuracy: 1e-9)
        d.perform(.togglePause)
        now = 10
        XCTAssertEqual(d.position, 2, accuracy: 1e-9)
        XCTAssertTrue(d.snapshot().status?.contains("paused") ?? false)
        d.perform(.togglePause)
        now = 100
        XCTAssertEqual(d.position, log.duration)
        XCTAssertTrue(d.finished)
    }

    func testEventTextForEveryWriterEvent() {
        func text(_ json: String) throws -> DashboardEvent {
            let log = try parse("{\"type\":\"header\",\"format\":\"fluid-session\",\"version\":1}\n" + json)
            return SessionEventText.dashboardEvent(log.events[0], sequence: 1)
        }
        XCTAssertEqual(try text("{\"type\":\"event\",\"t\":1,\"event\":\"fault\",\"action\":\"hang\",\"device\":\"worker\"}").text,
                       "hang Worker")
        let up = try? text("{\"type\":\"event\",\"t\":1,\"event\":\"device-up\",\"device\":\"master\",\"since_fault_ms\":800}")
        XCTAssertEqual(up?.severity, .recovery)
        XCTAssertEqual(up?.text, "Master up · 800 ms after the fault")
        let none = try? text("{\"type\":\"event\",\"t\":1,\"event\":\"plan\",\"plan\":\"none\",\"reason\":\"static needs both\"}")
        XCTAssertEqual(none?.severity, .failure)
        XCTAssertEqual(none?.isMarker, true)
        let mode = try? text("{\"type\":\"event\",\"t\":1,\"event\":\"mode\",\"mode\":\"auto\",\"running\":\"ht\",\"reason\":\"rate\"}")
        XCTAssertEqual(mode?.text, "mode auto (running ht): rate")
        let odd = try? text("{\"type\":\"event\",\"t\":1,\"event\":\"gc\",\"n\":3}")
        XCTAssertEqual(odd?.text, "gc n=3")
        XCTAssertEqual(odd?.isMarker, false)
    }
}
