import FluidDashboard
import XCTest

final class KeyTableTests: XCTestCase {
    /// docs/cli.md: every key of the contract does what the table says.
    func testDesignKeysMapToTheirActions() {
        let t = KeyTable.live
        let expected: [(DashboardKey, DashboardAction)] = [
            (.character("m"), .crashOrRevive(.master)), (.character("w"), .crashOrRevive(.worker)),
            (.character("M"), .hangOrResume(.master)), (.character("W"), .hangOrResume(.worker)),
            (.character("s"), .slowOrUnslow(.worker)),
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
        XCTAssertEqual(KeyTable.live.bindings.filter(\.dangerous).count, 6)
    }

    func testReadOnlyDisablesFaultKeysOnly() {
        let t = KeyTable.live
        for k in ["m", "w", "M", "W", "l", "s"] {
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

    func testHelpFitsAtTheMinimumSizeWithEveryBinding() {
        let ui = DashboardUIState(helpVisible: true)
        let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: Dashboard.minimumRows,
                                 columns: Dashboard.minimumColumns)
        for b in KeyTable.live.bindings {
            XCTAssertNotNil(s.firstRow(containing: b.keysDisplay + " "), "help lacks \(b.keysDisplay)" + s.dump)
        }
    }

    func testReadOnlyHelpListsFaultsAsDisabled() {
        let ui = DashboardUIState(helpVisible: true, readOnly: true)
        let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
        let row = s.firstRow(containing: "crash the Master") ?? -1
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
