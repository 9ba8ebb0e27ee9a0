import FluidDashboard
import XCTest

final class KeyTableTests: XCTestCase {
    /// docs/cli.md: every key of the contract does what the table says.
    func testDesignKeysMapToTheirActions() {
        let t = KeyTable.live
        let expected: [(DashboardKey, DashboardAction)] = [
            (.character("m"), .crashOrRevive(.master)), (.character("w"), .crashOrRevive(.worker)),
            (.character("M"), .hangOrResume(.master)), (.character("W"), .hangOrResume(.worker)),
            (.character("s"), .slowOrUnslow(.worker)), (.character("S"), .slowOrUnslow(.master)),
            (.character("p"), .togglePlanView),
            (.character("t"), .toggleMode), (.character("a"), .autoMode),
            (.character("1"), .selectKind(.static)), (.character("2"), .selectKind(.dynamic)),
            (.character("3"), .selectKind(.fluid)),
            (.character("+"), .rateUp), (.character("-"), .rateDown),
            (.character("r"), .toggleRecording), (.character(" "), .togglePause),
            (.character("?"), .toggleHelp), (.character("h"), .toggleHelp), (.function(1), .toggleHelp),
            (.character("q"), .quit), (.function(10), .quit), (.controlC, .quit),
        ]
        for (key, action) in expected {
            XCTAssertEqual(t.action(for: key, readOnly: false), action, "key \(key.display)")
        }
        XCTAssertNil(t.action(for: .character("x"), readOnly: false))
    }

    func testNoKeyIsBoundTwice() {
        for table in [KeyTable.live, KeyTable.replay] {
            let keys = table.bindings.flatMap(\.keys)
            XCTAssertEqual(keys.count, Set(keys).count, "a key bound twice")
        }
    }

    func testFaultsAreDangerousAndOnlyFaults() {
        for b in KeyTable.live.bindings {
            XCTAssertEqual(b.dangerous, b.action.isFault, b.label)
        }
        XCTAssertEqual(KeyTable.live.bindings.filter(\.dangerous).count, 7)
    }

    func testReadOnlyDisablesFaultKeysOnly() {
        let t = KeyTable.live
        for k in ["m", "w", "M", "W", "l", "s", "S"] {
            XCTAssertNil(t.action(for: .character(Character(k)), readOnly: true), k)
        }
        XCTAssertEqual(t.action(for: .character("t"), readOnly: true), .toggleMode)
        XCTAssertEqual(t.action(for: .character("q"), readOnly: true), .quit)
    }

    /// Every action of the table appears in help with its keys and label, and the
    /// dangerous ones are marked (and only they).
    func testEveryActionAppearsInHelpAndDangerousOnesAreMarked() {
        for table in [KeyTable.live, KeyTable.replay] {
            let ui = DashboardUIState(keyTable: table, helpVisible: true)
            let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
            for b in table.bindings {
                let row = s.firstRow(containing: b.label)
                XCTAssertNotNil(row, "help lacks \(b.label)" + s.dump)
                guard let row else { continue }
                let line = s.line(row)
                XCTAssertTrue(line.contains(b.keysDisplay), "help row lacks keys \(b.keysDisplay): \(line)")
                XCTAssertEqual(line.contains("⚠ fault"), b.dangerous, line)
            }
        }
    }

    /// At 60×20 help shows every row of the table, each with all its keys and its whole
    /// label, faults marked, inside the box (the right border is still there).
    func testHelpFitsAtTheMinimumSizeWithEveryBinding() {
        for table in [KeyTable.live, KeyTable.replay] {
            let ui = DashboardUIState(keyTable: table, helpVisible: true)
            let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: Dashboard.minimumRows,
                                     columns: Dashboard.minimumColumns)
            var seen = Set<Int>()
            for row in table.helpRows {
                let r = (0..<s.rows).first { r in
                    let line = s.line(r)
                    return line.contains("│ " + row.keys + " ") && line.contains(row.label)
                }
                XCTAssertNotNil(r, "help lacks the row \(row.keys)" + s.dump)
                if let r {
                    XCTAssertTrue(seen.insert(r).inserted, "two help rows drawn on one line")
                    XCTAssertTrue(s.line(r).trimmingCharacters(in: .whitespaces).hasSuffix("│"), s.line(r))
                    XCTAssertEqual(s.line(r).contains("⚠"), row.dangerous, s.line(r))
                }
            }
            // Every key of the table is on one of them.
            let keysShown = table.helpRows.map(\.keys).joined(separator: " ").split(separator: " ").map(String.init)
            for b in table.bindings { for k in b.keys { XCTAssertTrue(keysShown.contains(k.display), k.display) } }
        }
    }

    /// Rows sharing a label are merged: the live help is short enough for 60×20 with room.
    func testHelpMergesBindingsThatShareALabel() {
        let rows = KeyTable.live.helpRows
        XCTAssertTrue(rows.contains { $0.keys == "m w" && $0.dangerous })
        XCTAssertTrue(rows.contains { $0.keys == "M W" && $0.dangerous })
        XCTAssertTrue(rows.contains { $0.keys == "s S" && $0.dangerous })
        XCTAssertTrue(rows.contains { $0.keys == "1 2 3" && !$0.dangerous })
        XCTAssertTrue(rows.contains { $0.keys == "+ = - _" })
        XCTAssertTrue(rows.contains { $0.keys == "p" })
        XCTAssertLessThanOrEqual(rows.count, Dashboard.minimumRows - 2)
        XCTAssertEqual(rows.flatMap(\.bindings), KeyTable.live.bindings)
    }

    func testPlanViewToggleAndEscape() {
        var ui = DashboardUIState()
        XCTAssertEqual(ui.action(for: .character("p"), rows: 24, columns: 80), .togglePlanView)
        XCTAssertNil(ui.action(for: .escape, rows: 24, columns: 80))
        _ = ui.apply(.togglePlanView)
        XCTAssertTrue(ui.planVisible)
        // Keys keep working under the plan view (S slows the Master while it is shown).
        XCTAssertEqual(ui.action(for: .character("S"), rows: 24, columns: 80), .slowOrUnslow(.master))
        // Help over the plan view: Esc closes help first, then the plan view.
        _ = ui.apply(.toggleHelp)
        XCTAssertEqual(ui.action(for: .escape, rows: 24, columns: 80), .closeOverlay)
        _ = ui.apply(.closeOverlay)
        XCTAssertFalse(ui.helpVisible)
        XCTAssertTrue(ui.planVisible)
        XCTAssertEqual(ui.action(for: .escape, rows: 24, columns: 80), .closeOverlay)
        _ = ui.apply(.closeOverlay)
        XCTAssertFalse(ui.planVisible)
        XCTAssertEqual(KeyTable.replay.action(for: .character("p"), readOnly: false), .togglePlanView)
    }

    func testReadOnlyHelpListsFaultsAsDisabled() {
        let ui = DashboardUIState(helpVisible: true, readOnly: true)
        let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
        let row = s.firstRow(containing: "crash Master") ?? -1
        XCTAssertTrue(s.line(row).contains("read-only"), s.dump)
        XCTAssertFalse(s.text.contains("⚠ fault"), s.dump)
    }

    func testUIStateAppliesUIActions() {
        var ui = DashboardUIState()
        XCTAssertFalse(ui.apply(.toggleHelp))
        XCTAssertTrue(ui.helpVisible)
        XCTAssertFalse(ui.apply(.togglePause))
        XCTAssertTrue(ui.paused)
        XCTAssertFalse(ui.apply(.crashOrRevive(.master)))
        XCTAssertTrue(ui.apply(.quit))
    }
}
