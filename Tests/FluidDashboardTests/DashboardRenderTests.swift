import FluidDashboard
import XCTest

final class DashboardRenderTests: XCTestCase {
    let ui = DashboardUIState(title: "Fluid demo")

    func testHeaderShowsKindModePlanTimeThroughputAccuracyAndRec() {
        let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
        let header = s.line(0)
        for needle in ["DEGRADED", "fluid", "HA", "solo-u50", "01:23", "img/s", "99.12%", "REC"] {
            XCTAssertTrue(header.contains(needle), "header lacks \(needle): \(header)")
        }
        XCTAssertEqual(s.role(of: "REC"), .bannerDegraded)
    }

    /// Under a goal or a pinned plan the mode setting says nothing about the plan: the
    /// header names who picks it instead (a goal header said "mode HA" while HT ran).
    func testHeaderNamesTheGoalOrPinInPlaceOfTheMode() {
        var snap = Fixtures.healthy()
        snap.policyLabel = "GOAL"
        let header = Dashboard.render(snap, ui: ui, rows: 24, columns: 80).line(0)
        XCTAssertTrue(header.contains("GOAL"), header)
        XCTAssertFalse(header.contains(" HA"), header)
        snap.policyLabel = nil
        XCTAssertTrue(Dashboard.render(snap, ui: ui, rows: 24, columns: 80).line(0).contains("HA"))
    }

    func testNoRecMarkWhenNotRecording() {
        let s = Dashboard.render(Fixtures.healthy(), ui: ui, rows: 24, columns: 80)
        XCTAssertFalse(s.line(0).contains("REC"), s.dump)
        XCTAssertTrue(s.line(0).contains("static"), s.dump)
        XCTAssertTrue(s.line(0).contains("ha-100"), s.dump)
    }

    func testDeadMasterPanelSaysDownWithGlyphAndFailedRole() throws {
        let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
        let row = try XCTUnwrap(s.firstRow(containing: "DOWN"), s.dump)
        let line = s.line(row)
        // The Master panel is the left half; DOWN must be there, not in the Worker's.
        let down = try XCTUnwrap(line.range(of: "✖ DOWN"), s.dump)
        XCTAssertLessThan(line.distance(from: line.startIndex, to: down.lowerBound), 40, s.dump)
        XCTAssertEqual(s.role(of: "DOWN"), .failed)
        XCTAssertTrue(line.contains("● UP"), "the Worker should be UP on the same row: \(line)")
        XCTAssertEqual(s.role(of: "● UP"), .healthy)
        // A dead device is neither leader nor follower.
        XCTAssertNil(s.firstRow(containing: "Master · follower"), s.dump)
        XCTAssertNil(s.firstRow(containing: "Master · leader"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "Worker · leader"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "runs u50"), s.dump)
    }

    func testHungDeviceIsDrawnAsHungNotDown() {
        let s = Dashboard.render(Fixtures.healthy(), ui: ui, rows: 24, columns: 80)
        XCTAssertNotNil(s.firstRow(containing: "◐ HUNG"), s.dump)
        XCTAssertEqual(s.role(of: "HUNG"), .degraded)
        XCTAssertNil(s.firstRow(containing: "DOWN"), s.dump)
    }

    func testDevicePanelShowsLatencyHeartbeatAndBytes() {
        let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
        XCTAssertNotNil(s.firstRow(containing: "p50 1.2 ms  p99 4.5 ms"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "heartbeat 12.0 ms"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "recv 9.4 MiB"), s.dump)
    }

    func testEventLogAndCounters() {
        let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
        XCTAssertNotNil(s.firstRow(containing: "Master down (kill) · detected in 140 ms"), s.dump)
        XCTAssertEqual(s.role(of: "Master down (kill)"), .failed)
        XCTAssertNotNil(s.firstRow(containing: "sent 12.3k · predictions 12.3k · unavailable 5"), s.dump)
        // Newest event is the lowest one.
        let a = s.firstRow(containing: "plan ha-100: both") ?? -1
        let b = s.firstRow(containing: "plan solo-u50: master") ?? -1
        XCTAssertGreaterThan(a, 0, s.dump)
        XCTAssertLessThan(a, b, s.dump)
    }

    func testEventLogShowsNewestWhenTooManyToFit() {
        var snap = Fixtures.masterDown()
        snap.events = (1...50).map { DashboardEvent(sequence: $0, time: Double($0), text: "event number \($0)") }
        let s = Dashboard.render(snap, ui: ui, rows: 24, columns: 80)
        XCTAssertNotNil(s.firstRow(containing: "event number 50"), s.dump)
        XCTAssertNil(s.firstRow(containing: "event number 1 "), s.dump)
    }

    func testThroughputGraphStacksDevicesAndMarksOutageSeconds() {
        var snap = Fixtures.masterDown()
        snap.throughputHistory = [100, 0, 0, 200]
        snap.masterHistory = [100, 0, 0, 0]
        snap.workerHistory = [0, 0, 0, 200]
        snap.unavailableHistory = [0, 500, 0, 0]
        let s = Dashboard.render(snap, ui: ui, rows: 24, columns: 80)
        // Scale (a round number at or above the largest value) at the top left, 0 at the bottom.
        let top = try! XCTUnwrap(s.firstRow(containing: "200 ┤"), s.dump)
        XCTAssertTrue(s.line(top + 2).contains("0 ┤"), s.dump)
        // The 200 column is full height, the Worker's (▒ in the series2 role).
        XCTAssertEqual(s.roles(row: top)[s.line(top).distance(from: s.line(top).startIndex, to: s.line(top).range(of: "▒")!.lowerBound)], .series2)
        // A second with only unavailable answers is marked on the bottom row.
        XCTAssertTrue(s.line(top + 2).contains("✖"), s.dump)
        XCTAssertEqual(Sparkline.throughput([100, 0, 0, 200], width: 4), "▅  █")
        XCTAssertEqual(Sparkline.accuracy([0.98, 0.99], width: 2).last, "█")
    }

    func testGraphsGrowWithTheWindow() {
        let small = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
        let big = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 50, columns: 160)
        func graphRows(_ s: Screen) -> Int { (0..<s.rows).filter { s.line($0).contains("█") || s.line($0).contains("▇") }.count }
        XCTAssertGreaterThan(graphRows(big), graphRows(small), big.dump)
    }

    func testFooterComesFromTheKeyTable() {
        let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
        let footer = s.line(23)
        XCTAssertTrue(footer.contains("m/w crash"), footer)
        XCTAssertTrue(footer.contains("? help"), footer)
        XCTAssertTrue(footer.contains("q quit"), footer)
        XCTAssertEqual(s.role(of: "m/w"), .key)
        // Wide enough: every footer word of the table is there.
        let wide = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 30, columns: 120).line(29)
        for b in KeyTable.live.bindings { if let w = b.footer { XCTAssertTrue(wide.contains(w), "\(w) missing: \(wide)") } }
    }

    func testNarrowFooterKeepsHelpAndQuit() {
        let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: Dashboard.minimumRows,
                                 columns: Dashboard.minimumColumns)
        let footer = s.line(s.rows - 1)
        XCTAssertTrue(footer.contains("? help") && footer.contains("q quit"), footer)
    }

    func testReadOnlyHidesFaultKeysFromFooter() {
        var ro = ui
        ro.readOnly = true
        let s = Dashboard.render(Fixtures.masterDown(), ui: ro, rows: 24, columns: 80)
        XCTAssertFalse(s.line(23).contains("crash"), s.line(23))
        XCTAssertFalse(s.line(23).contains("hang"), s.line(23))
        XCTAssertTrue(s.line(1).contains("read-only"), s.line(1))
    }

    func testPausedIsShown() {
        var p = ui
        p.paused = true
        let s = Dashboard.render(Fixtures.masterDown(), ui: p, rows: 24, columns: 80)
        XCTAssertTrue(s.line(1).contains("PAUSED"), s.dump)
    }

    func testTooSmallScreen() {
        for (rows, cols) in [(10, 50), (24, 59), (17, 80), (1, 1), (0, 0)] {
            let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: rows, columns: cols)
            XCTAssertEqual(s.rows, rows)
            XCTAssertEqual(s.columns, cols)
            if rows >= 3, cols >= 20 {
                XCTAssertNotNil(s.firstRow(containing: "terminal too small"), "\(cols)×\(rows)" + s.dump)
                XCTAssertNotNil(s.firstRow(containing: "q quits"), s.dump)
                XCTAssertNil(s.firstRow(containing: "solo-u50"), s.dump)
            }
        }
        // …and q still maps to quit whatever the size: keys do not depend on layout.
        XCTAssertEqual(KeyTable.live.action(for: .character("q"), readOnly: false), .quit)
    }

    func testMinimumSizeRendersTheDashboard() {
        let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: Dashboard.minimumRows,
                                 columns: Dashboard.minimumColumns)
        XCTAssertNil(s.firstRow(containing: "terminal too small"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "DOWN"), s.dump)
        XCTAssertTrue(s.line(0).contains("solo-u50"), s.dump)
    }

    func testEveryStateHasADistinctGlyphAndWord() {
        let glyphs = Set(DeviceState.allCases.map(\.glyph)), words = Set(DeviceState.allCases.map(\.word))
        XCTAssertEqual(glyphs.count, DeviceState.allCases.count)
        XCTAssertEqual(words.count, DeviceState.allCases.count)
    }

    /// A cut Master ↔ Worker link is drawn between the device panels, in words and in the
    /// failed role; `l` cuts or heals it and is a fault (hidden by --read-only).
    func testCutLinkIsShownBetweenThePanelsAndLIsItsKey() throws {
        var snap = Fixtures.healthy()
        XCTAssertNotNil(Dashboard.render(snap, ui: ui, rows: 24, columns: 80).firstRow(containing: "link ok"))
        snap.linkCut = true
        let s = Dashboard.render(snap, ui: ui, rows: 24, columns: 80)
        let row = try XCTUnwrap(s.firstRow(containing: "link CUT"), s.dump)
        XCTAssertLessThan(row, 12, "on the panels, not in the event log: \(s.dump)")
        XCTAssertEqual(s.role(of: "link CUT"), .failed)
        XCTAssertEqual(KeyTable.live.action(for: .character("l"), readOnly: false), .cutOrHealLink)
        XCTAssertNil(KeyTable.live.action(for: .character("l"), readOnly: true))
        XCTAssertTrue(DashboardAction.cutOrHealLink.isFault)
    }
}
