import FluidDashboard
import XCTest

/// Issue 14 by key: a cursor over the plan view pins a plan (Enter), `u` unpins, `g`
/// cycles the goal and `[`/`]` move its number.
final class PlanKeysTests: XCTestCase {
    let menu = Plan.menu(for: .fluid)

    func testEveryNewKeyMapsToItsAction() {
        let t = KeyTable.live
        let expected: [(DashboardKey, DashboardAction)] = [
            (.up, .movePlanCursor(-1)), (.left, .movePlanCursor(-1)),
            (.down, .movePlanCursor(1)), (.right, .movePlanCursor(1)),
            (.enter, .pinAtCursor), (.character("u"), .unpin), (.character("g"), .cycleGoal),
            (.character("["), .adjustGoal(up: false)), (.character("]"), .adjustGoal(up: true)),
        ]
        for (key, action) in expected {
            XCTAssertEqual(t.action(for: key, readOnly: false), action, "key \(key.display)")
            // They choose the policy, they inject no fault: read-only keeps them.
            XCTAssertEqual(t.action(for: key, readOnly: true), action, "read-only \(key.display)")
            XCTAssertFalse(action.isFault)
        }
        // Pins and goals change what the cluster does: the recording marks them.
        for a: DashboardAction in [.pinPlan(menuIndex: 0), .unpin, .cycleGoal, .adjustGoal(up: true)] {
            XCTAssertTrue(a.isMarker, a.describe)
        }
        XCTAssertEqual(DashboardKey.up.display, "↑")
        XCTAssertEqual(DashboardKey.enter.display, "Enter")
    }

    /// The arrows and Enter act only in the plan view: on the main screen they do nothing
    /// (no plan is pinned unseen); `u`, `g`, `[`, `]` act anywhere (the header shows the
    /// policy). Enter pins the plan at the cursor.
    func testCursorKeysActOnlyInThePlanView() {
        var ui = DashboardUIState()
        for k: DashboardKey in [.up, .down, .left, .right, .enter] {
            XCTAssertNil(ui.action(for: k, rows: 24, columns: 80), k.display)
        }
        XCTAssertEqual(ui.action(for: .character("u"), rows: 24, columns: 80), .unpin)
        XCTAssertEqual(ui.action(for: .character("g"), rows: 24, columns: 80), .cycleGoal)
        XCTAssertEqual(ui.action(for: .character("]"), rows: 24, columns: 80), .adjustGoal(up: true))
        XCTAssertEqual(ui.action(for: .pageUp, rows: 24, columns: 80), .eventsOlder)
        _ = ui.apply(.togglePlanView)
        XCTAssertEqual(ui.action(for: .down, rows: 24, columns: 80), .movePlanCursor(1))
        XCTAssertEqual(ui.action(for: .enter, rows: 24, columns: 80), .pinPlan(menuIndex: 0))
        _ = ui.apply(.movePlanCursor(1))
        _ = ui.apply(.movePlanCursor(1))
        XCTAssertEqual(ui.action(for: .enter, rows: 24, columns: 80), .pinPlan(menuIndex: 2))
        // Help over the view covers the keys.
        _ = ui.apply(.toggleHelp)
        XCTAssertNil(ui.action(for: .enter, rows: 24, columns: 80))
        XCTAssertNil(ui.action(for: .down, rows: 24, columns: 80))
    }

    /// Read-only: the plan view's keys pin and set goals; faults stay off.
    func testReadOnlyPinsAndSetsGoalsButInjectsNoFault() {
        var ui = DashboardUIState(planVisible: true, readOnly: true)
        _ = ui.apply(.movePlanCursor(-1))
        XCTAssertEqual(ui.action(for: .enter, rows: 20, columns: 60), .pinPlan(menuIndex: -1))
        XCTAssertEqual(ui.action(for: .character("g"), rows: 20, columns: 60), .cycleGoal)
        XCTAssertNil(ui.action(for: .character("m"), rows: 20, columns: 60))
    }

    /// Replay keeps ←/→ for seeking, in the plan view too; it has nothing to pin.
    func testReplaySeeksWithTheArrowsEvenInThePlanView() {
        let ui = DashboardUIState(keyTable: .replay, planVisible: true)
        XCTAssertEqual(ui.action(for: .left, rows: 24, columns: 80), .seekBack)
        XCTAssertEqual(ui.action(for: .right, rows: 24, columns: 80), .seekForward)
        XCTAssertNil(ui.action(for: .enter, rows: 24, columns: 80))
        XCTAssertNil(ui.action(for: .character("g"), rows: 24, columns: 80))
    }

    func testCursorMovesAndWrapsBothWays() {
        var ui = DashboardUIState(planVisible: true)
        XCTAssertEqual(ui.cursorPlan(in: menu), .ha100)
        _ = ui.apply(.movePlanCursor(1))
        XCTAssertEqual(ui.cursorPlan(in: menu), .ha75)
        _ = ui.apply(.movePlanCursor(-1))
        _ = ui.apply(.movePlanCursor(-1))
        XCTAssertEqual(ui.cursorPlan(in: menu), .soloU25, "up from the first plan is the last")
        _ = ui.apply(.movePlanCursor(1))
        XCTAssertEqual(ui.cursorPlan(in: menu), .ha100, "down from the last plan is the first")
        for _ in 0..<menu.count { _ = ui.apply(.movePlanCursor(1)) }
        XCTAssertEqual(ui.cursorPlan(in: menu), .ha100, "a whole turn")
        // The same index on a shorter menu (after a kind switch) still names one of its plans.
        XCTAssertEqual(DashboardUIState.wrap(-11, count: 10), 9)
        XCTAssertEqual(DashboardUIState.wrap(13, count: 4), 1)
        XCTAssertNil(DashboardUIState.wrap(3, count: 0))
        XCTAssertNil(ui.cursorPlan(in: []))
    }

    /// The cursor's plan is written in brackets beside its own point, in the key's colour;
    /// the served plan keeps its reversed `◆`; the legend says what Enter does.
    func testCursorIsDrawnOnItsPlan() throws {
        var ui = DashboardUIState(planVisible: true)
        _ = ui.apply(.movePlanCursor(2))  // sparse(): ha-100, ht-50+u50, solo-50
        let s = Dashboard.render(PlanViewTests.sparse(), ui: ui, rows: 30, columns: 100)
        XCTAssertEqual(s.text.components(separatedBy: "[solo-50]").count - 1, 1, s.dump)
        XCTAssertNil(s.firstRow(containing: "[ha-100]"), s.dump)
        XCTAssertNil(s.firstRow(containing: "[ht-50+u50]"), s.dump)
        let r = try XCTUnwrap(s.firstRow(containing: "[solo-50]"), s.dump)
        let c = try XCTUnwrap(s.line(r).range(of: "[solo-50]").map { s.line(r).distance(from: s.line(r).startIndex, to: $0.lowerBound) })
        // Its point is beside the brackets: "○ [solo-50]" or "[solo-50] ○".
        let line = Array(s.line(r))
        XCTAssertTrue((c >= 2 && "●○".contains(line[c - 2])) || (c + 10 < line.count && "●○".contains(line[c + 10])), s.line(r))
        XCTAssertEqual(s[r, c + 1].role, .key, s.dump)
        XCTAssertNotNil(s.firstRow(containing: "[cursor] ↑↓ moves, Enter pins"), s.dump)
        // On the served plan: brackets, and still reversed.
        ui.planCursor = 1
        let served = Dashboard.render(PlanViewTests.sparse(), ui: ui, rows: 30, columns: 100)
        let sr = try XCTUnwrap(served.firstRow(containing: "[ht-50+u50]"), served.dump)
        let sc = try XCTUnwrap(Array(served.line(sr)).firstIndex(of: "["))
        XCTAssertEqual(served[sr, sc + 1].role, .selected, served.dump)
    }

    /// An unmeasured plan can be pinned too: the cursor shows in the legend's list, and
    /// on the plan pinned the legend says Enter unpins.
    func testCursorOnAnUnmeasuredPlanAndOnThePinnedOne() throws {
        var snap = PlanViewTests.fullMenu()  // solo-u25, last of the menu, unmeasured
        var ui = DashboardUIState(planVisible: true)
        _ = ui.apply(.movePlanCursor(-1))
        for (rows, columns) in [(20, 60), (30, 100)] {
            let s = Dashboard.render(snap, ui: ui, rows: rows, columns: columns)
            let legend = try XCTUnwrap(s.firstRow(containing: "◆ served"), s.dump)
            // The legend wraps at words: read its rows as one text.
            let text = (legend..<(rows - 1)).map { s.line($0) }.joined(separator: " ").split(separator: " ").joined(separator: " ")
            XCTAssertTrue(text.contains("unmeasured: [solo-u25]"), s.dump)
            XCTAssertTrue(text.contains("[cursor] ↑↓ moves, Enter pins"), s.dump)
            XCTAssertTrue(s.line(rows - 1).contains("q quit"), s.dump)
        }
        snap.planMap?.goal = "pinned solo-u25"
        XCTAssertEqual(snap.planMap?.pinned, .soloU25)
        let s = Dashboard.render(snap, ui: ui, rows: 30, columns: 100)
        XCTAssertNotNil(s.firstRow(containing: "[cursor] ↑↓ moves, Enter unpins"), s.dump)
        // Without a model at all, the list and the hint are still there.
        snap.planMap = PlanMap(points: menu.map { PlanPoint(plan: $0, capacity: nil, accuracy: 0.99) },
                               goal: "table", note: "no cost model: the policy table does not calibrate")
        let bare = Dashboard.render(snap, ui: ui, rows: 20, columns: 60)
        XCTAssertTrue(bare.text.contains("[solo-u25]"), bare.dump)
        XCTAssertNotNil(bare.firstRow(containing: "[cursor] ↑↓ moves, Enter pins"), bare.dump)
    }

    func testPinnedPlanFromThePolicyWords() {
        XCTAssertEqual(PlanMap(points: [], goal: "plan ht-25+u25").pinned, .ht25)
        XCTAssertEqual(PlanMap(points: [], goal: "pinned solo-u25").pinned, .soloU25)
        XCTAssertNil(PlanMap(points: [], goal: "goal accuracy").pinned)
        XCTAssertNil(PlanMap(points: [], goal: "plan nonsense").pinned)
    }

    /// Help lists the new keys, each row whole, at the 60×20 minimum.
    func testHelpListsTheNewKeysAtTheMinimumSize() {
        let ui = DashboardUIState(helpVisible: true)
        let s = Dashboard.render(PlanViewTests.sparse(), ui: ui, rows: 20, columns: 60)
        for (keys, label) in [("↑ ↓ ← →", "plan view: move the cursor over the plans"),
                              ("Enter u", "pin the plan at the cursor / unpin"),
                              ("g", "goal: off → accuracy → throughput → SLO"),
                              ("[ ]", "lower / raise the goal's accuracy or SLO")] {
            XCTAssertNotNil((0..<s.rows).first { s.line($0).contains("│ " + keys + " ") && s.line($0).contains(label) },
                            "help lacks \(keys)" + s.dump)
        }
        XCTAssertNotNil(s.firstRow(containing: "quit: stop the nodes"), s.dump)
    }

    // MARK: goals

    func testGoalFromThePolicyWords() {
        XCTAssertEqual(GoalChoice(policy: "goal accuracy"), .accuracy)
        XCTAssertEqual(GoalChoice(policy: "goal throughput (accuracy ≥ 98.5 %)"), .throughput(minAccuracy: 0.985))
        XCTAssertEqual(GoalChoice(policy: "goal slo-p99 50 ms"), .sloP99(ms: 50))
        XCTAssertEqual(GoalChoice(policy: "goal slo-p99 62.5 ms"), .sloP99(ms: 62.5))
        for other in ["table", "auto", "plan ha-100", "goal nonsense", ""] {
            XCTAssertNil(GoalChoice(policy: other), other)
        }
    }

    func testGoalCycleOrder() {
        var dial = GoalDial()
        var g: GoalChoice? = nil
        var seen: [GoalChoice?] = []
        for _ in 0..<5 {
            g = dial.next(after: g)
            seen.append(g)
        }
        XCTAssertEqual(seen, [.accuracy, .throughput(minAccuracy: 0.985), .sloP99(ms: 50), nil, .accuracy])
    }

    /// The numbers set come back when the cycle comes round again, and a goal given at
    /// start (`--goal slo-p99 --slo-p99 20`) is where `g` continues from.
    func testTheDialRemembersItsNumbers() {
        var dial = GoalDial()
        XCTAssertEqual(dial.adjust(.sloP99(ms: 20), up: true), .sloP99(ms: 25))
        XCTAssertNil(dial.next(after: .sloP99(ms: 25)))
        XCTAssertEqual(dial.next(after: .throughput(minAccuracy: 0.99)), .sloP99(ms: 25))
        XCTAssertEqual(dial.next(after: nil), .accuracy)
        XCTAssertEqual(dial.next(after: .accuracy), .throughput(minAccuracy: 0.99))
    }

    func testAdjustingStepsAndClamps() {
        var dial = GoalDial()
        // 0.1 pp steps, landing on whole hundredths of a percent.
        XCTAssertEqual(dial.adjust(.throughput(minAccuracy: 0.985), up: true), .throughput(minAccuracy: 0.986))
        XCTAssertEqual(dial.adjust(.throughput(minAccuracy: 0.985), up: false), .throughput(minAccuracy: 0.984))
        var a = GoalChoice.throughput(minAccuracy: 0.985)
        for _ in 0..<20 { a = dial.adjust(a, up: true)! }
        XCTAssertEqual(a, .throughput(minAccuracy: 1.0), "clamped at 100 %")
        XCTAssertEqual(dial.adjust(.throughput(minAccuracy: 0.0015), up: false), .throughput(minAccuracy: 0.001),
                       "never 0 or below: --min-accuracy must be > 0")
        // The SLO: ×/÷ 1.25, whole ms from 10 ms, tenths below, within 1 … 60 000 ms.
        XCTAssertEqual(dial.adjust(.sloP99(ms: 50), up: true), .sloP99(ms: 63))
        XCTAssertEqual(dial.adjust(.sloP99(ms: 50), up: false), .sloP99(ms: 40))
        XCTAssertEqual(dial.adjust(.sloP99(ms: 8), up: false), .sloP99(ms: 6.4))
        XCTAssertEqual(dial.adjust(.sloP99(ms: 1.1), up: false), .sloP99(ms: 1))
        XCTAssertEqual(dial.adjust(.sloP99(ms: 1), up: false), .sloP99(ms: 1))
        XCTAssertEqual(dial.adjust(.sloP99(ms: 50_000), up: true), .sloP99(ms: 60_000))
        var slo = GoalChoice.sloP99(ms: 50)
        for _ in 0..<60 { slo = dial.adjust(slo, up: false)! }
        XCTAssertEqual(slo, .sloP99(ms: 1))
        for _ in 0..<80 { slo = dial.adjust(slo, up: true)! }
        XCTAssertEqual(slo, .sloP99(ms: 60_000))
        // Every step from 1 ms up moves: rounding never holds a value in place.
        var ms = 1.0
        while ms < 60_000 {
            guard case .sloP99(let next)? = dial.adjust(.sloP99(ms: ms), up: true) else { return XCTFail() }
            XCTAssertGreaterThan(next, ms)
            ms = next
        }
        // No number to move.
        XCTAssertNil(dial.adjust(.accuracy, up: true))
        XCTAssertNil(dial.adjust(nil, up: false))
    }
}
