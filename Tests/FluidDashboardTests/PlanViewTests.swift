import FluidDashboard
import XCTest

/// The plan view (`p`, issue 14): the menu as points on accuracy vs capacity.
final class PlanViewTests: XCTestCase {
    let ui = DashboardUIState(planVisible: true, title: "Fluid demo")

    /// Three plans far apart: ha-100 (20k, 99.2 %), ht (40k, 98.7 %), solo-50 (10k, 98.0 %);
    /// ht served; the offered rate 30k.
    static func sparse(constraint: PlanConstraint? = .offeredRate(30_000)) -> DashboardSnapshot {
        var s = DashboardSnapshot(kind: .fluid, mode: .auto, plan: .ht, throughput: 30_000, offeredRate: 30_000)
        s.master = DeviceStatus(name: .master, state: .up, isLeader: true, job: .solo(.s50))
        s.worker = DeviceStatus(name: .worker, state: .up, job: .solo(.u50))
        s.planMap = PlanMap(points: [
            PlanPoint(plan: .ha100, capacity: 20_000, accuracy: 0.992),
            PlanPoint(plan: .ht, capacity: 40_000, accuracy: 0.987),
            PlanPoint(plan: .solo50, capacity: 10_000, accuracy: 0.980),
        ], goal: "auto", constraint: constraint)
        return s
    }

    /// The whole Fluid menu as a calibrated run sees it, one plan unmeasured, the Master slow.
    static func fullMenu() -> DashboardSnapshot {
        var s = DashboardSnapshot(kind: .fluid, mode: .auto, plan: .ha100, throughput: 18_000, offeredRate: 20_000)
        s.master = DeviceStatus(name: .master, state: .up, isLeader: true, job: .joint(.s100))
        s.master.slowFactor = 4
        s.worker = DeviceStatus(name: .worker, state: .up, job: .joint(.s100))
        let figures: [(Plan, Double?, Double)] = [
            (.ha100, 25_000, 0.9921), (.ha75, 31_000, 0.9905), (.ht, 45_000, 0.9870),
            (.ht50u25, 52_000, 0.9850), (.ht25u50, 50_000, 0.9841), (.ht25, 61_000, 0.9752),
            (.solo50, 22_000, 0.9874), (.solo25, 30_000, 0.9760), (.soloU50, 23_000, 0.9866), (.soloU25, nil, 0.9740),
        ]
        s.planMap = PlanMap(points: figures.map { PlanPoint(plan: $0.0, capacity: $0.1, accuracy: $0.2) },
                            goal: "auto", constraint: .offeredRate(20_000))
        return s
    }

    /// The glyph drawn for a plan: beside its label, left of it (or right of it when the
    /// label did not fit on the right).
    func point(of plan: Plan, in s: Screen) -> (row: Int, column: Int, glyph: Character)? {
        let name = Array(plan.rawValue)
        // Row 0 and 1 (header, status) name the plan served too: the view starts at row 2.
        for r in 2..<s.rows {
            let chars = Array(s.line(r))
            guard chars.count >= name.count + 2 else { continue }
            for c in 0...(chars.count - name.count) where Array(chars[c..<(c + name.count)]) == name {
                // The cursor's plan is written in brackets: "● [ha-100]".
                let open = c >= 1 && chars[c - 1] == "[" ? 1 : 0
                let close = c + name.count < chars.count && chars[c + name.count] == "]" ? 1 : 0
                if c - open >= 2, "●○◆".contains(chars[c - open - 2]) { return (r, c - open - 2, chars[c - open - 2]) }
                let after = c + name.count + close + 1
                if after < chars.count, "●○◆".contains(chars[after]) { return (r, after, chars[after]) }
            }
        }
        return nil
    }

    func testPointsSitAtTheirCapacityAndAccuracy() throws {
        let s = Dashboard.render(Self.sparse(), ui: ui, rows: 30, columns: 100)
        let ha = try XCTUnwrap(point(of: .ha100, in: s), s.dump)
        let ht = try XCTUnwrap(point(of: .ht, in: s), s.dump)
        let solo = try XCTUnwrap(point(of: .solo50, in: s), s.dump)
        // y: more accurate is higher; x: more capacity is further right.
        XCTAssertLessThan(ha.row, ht.row, s.dump)
        XCTAssertLessThan(ht.row, solo.row, s.dump)
        XCTAssertLessThan(solo.column, ha.column, s.dump)
        XCTAssertLessThan(ha.column, ht.column, s.dump)
        // x is linear from 0: 10k, 20k, 40k are at 1 : 2 : 4 of the distance from the axis.
        let axis = try XCTUnwrap(s.firstRow(containing: "└").flatMap { Array(s.line($0)).firstIndex(of: "└") })
        let unit = Double(solo.column - axis)
        XCTAssertEqual(Double(ha.column - axis) / unit, 2, accuracy: 0.15)
        XCTAssertEqual(Double(ht.column - axis) / unit, 4, accuracy: 0.3)
        // The served plan: its own glyph, and glyph and name reversed.
        XCTAssertEqual(ht.glyph, "◆")
        XCTAssertEqual(s[ht.row, ht.column].role, .selected)
        XCTAssertEqual(s[ht.row, ht.column + 2].role, .selected)
        XCTAssertNotEqual(s[ha.row, ha.column + 2].role, .selected)
        // ha-100 serves 20k < 30k offered: drawn as missing the goal; ht meets it.
        XCTAssertEqual(ha.glyph, "○")
        XCTAssertEqual(s[ha.row, ha.column].role, .dim)
        // The offered rate: a vertical line between ha-100 and ht, labelled.
        let lineColumns = Set((0..<s.rows).compactMap { Array(s.line($0)).firstIndex(of: "┊") })
        XCTAssertEqual(lineColumns.count, 1, s.dump)
        let line = try XCTUnwrap(lineColumns.first)
        XCTAssertTrue(ha.column < line && line < ht.column, s.dump)
        XCTAssertEqual(Double(line - axis) / unit, 3, accuracy: 0.2)
        XCTAssertNotNil(s.firstRow(containing: "offered 30.0k"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "serve 30.0k img/s"), s.dump)
        // Axis labels: the accuracy range and the capacity scale.
        XCTAssertNotNil(s.firstRow(containing: "capacity img/s"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "50.0k"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "%"), s.dump)
    }

    /// The controller picks a plan only with headroom (rate ≤ 75 % of its capacity): the
    /// bar is marked on the axis, and a plan below it is drawn as missing the goal.
    func testHeadroomMarksWhereChoosingStarts() throws {
        var snap = Self.sparse(constraint: .offeredRate(24_000))
        snap.planMap?.headroom = 0.75
        snap.plan = .ha100
        let s = Dashboard.render(snap, ui: ui, rows: 30, columns: 100)
        XCTAssertNotNil(s.firstRow(containing: "serve 24.0k img/s"), s.dump)
        let axis = try XCTUnwrap(s.firstRow(containing: "└"), s.dump)
        let marks = Array(s.line(axis))
        let line = try XCTUnwrap(marks.firstIndex(of: "┴"), s.dump)
        let bar = try XCTUnwrap(marks.firstIndex(of: "▲"), s.dump)
        let origin = try XCTUnwrap(marks.firstIndex(of: "└"))
        XCTAssertEqual(Double(bar - origin) / Double(line - origin), 32.0 / 24.0, accuracy: 0.05, s.dump)
        // ht (40k) clears the bar; solo-50 (10k) does not; ha-100 (20k) is served: its own glyph.
        XCTAssertEqual(point(of: .ht, in: s)?.glyph, "●", s.dump)
        XCTAssertEqual(point(of: .solo50, in: s)?.glyph, "○", s.dump)
        XCTAssertEqual(point(of: .ha100, in: s)?.glyph, "◆", s.dump)
        XCTAssertNotNil(s.firstRow(containing: "▲ 32.0k with headroom"), s.dump)
    }

    /// Labels keep a blank between them: here `ht-25+u25` fits left of its point only
    /// by touching `solo-u25`'s label (its right side is taken by the next point), so it
    /// must go to another row instead.
    func testLabelsNeverRunTogether() throws {
        var snap = Self.sparse(constraint: nil)
        // x = 9 + round(capacity × 90 / 100k) at 100 columns: points at columns 9, 29, 32.
        snap.planMap?.points = [
            PlanPoint(plan: .soloU25, capacity: 0, accuracy: 0.98),
            PlanPoint(plan: .ht25, capacity: 22_223, accuracy: 0.98),
            PlanPoint(plan: .solo25, capacity: 25_556, accuracy: 0.98),
            PlanPoint(plan: .ha100, capacity: 85_000, accuracy: 0.99),
        ]
        let s = Dashboard.render(snap, ui: ui, rows: 30, columns: 100)
        XCTAssertNil(s.firstRow(containing: "solo-u25ht-25+u25"), s.dump)
        let a = try XCTUnwrap(point(of: .soloU25, in: s), s.dump)
        XCTAssertEqual(a.column, 9, s.dump)
        // ht-25+u25's point sits on the same row, its name is still drawn (elsewhere).
        XCTAssertEqual(s[a.row, 29].character, "●", s.dump)
        XCTAssertEqual(s[a.row, 32].character, "●", s.dump)
        XCTAssertNotNil((4..<28).first { s.line($0).contains("ht-25+u25") }, s.dump)
    }

    func testThroughputGoalDrawsTheLeastAccuracyAcross() throws {
        let s = Dashboard.render(Self.sparse(constraint: .minAccuracy(0.985)), ui: ui, rows: 30, columns: 100)
        let ht = try XCTUnwrap(point(of: .ht, in: s), s.dump)
        let solo = try XCTUnwrap(point(of: .solo50, in: s), s.dump)
        let rows = (0..<s.rows).filter { s.line($0).contains("┄┄┄┄") }
        XCTAssertEqual(rows.count, 1, s.dump)
        let y = try XCTUnwrap(rows.first)
        XCTAssertTrue(ht.row < y && y < solo.row, s.dump)
        XCTAssertTrue(s.line(y).contains("min 98.50%"), s.line(y))
        // Below the line: misses the goal; no vertical line without a rate goal.
        XCTAssertEqual(solo.glyph, "○")
        XCTAssertNil(s.firstRow(containing: "┊"), s.dump)
    }

    /// 60×20: every measured plan is drawn and named (or listed as crowded), the
    /// unmeasured one is listed, the header and footer stay, and SLOW shows.
    func testWholeMenuFitsAtTheMinimumSize() {
        let snap = Self.fullMenu()
        for (rows, columns) in [(Dashboard.minimumRows, Dashboard.minimumColumns), (30, 100), (50, 200)] {
            let s = Dashboard.render(snap, ui: ui, rows: rows, columns: columns)
            let text = s.text
            for p in snap.planMap!.points where p.isMeasured {
                let crowded = s.firstRow(containing: "crowded:").map { s.line($0) } ?? ""
                XCTAssertTrue(s.firstRow(containing: p.plan.rawValue) != nil || crowded.contains(p.plan.rawValue),
                              "\(p.plan.rawValue) missing at \(columns)×\(rows)" + s.dump)
            }
            let unmeasured = s.firstRow(containing: "unmeasured:")
            XCTAssertNotNil(unmeasured, s.dump)
            XCTAssertTrue(text.contains("solo-u25"), s.dump)
            XCTAssertEqual(text.components(separatedBy: "◆").count - 1, 2, "one served point and the legend" + s.dump)
            XCTAssertTrue(s.line(0).contains("OK"), s.dump)
            XCTAssertTrue(s.line(rows - 1).contains("q quit"), s.dump)
            XCTAssertTrue(s.line(2).contains("SLOW ×4"), s.dump)
            XCTAssertNotNil(s.firstRow(containing: "┊"), s.dump)
            // No two names run together: every plan name drawn is followed by a blank,
            // a glyph or the edge.
            for p in snap.planMap!.points {
                for r in 4..<(rows - 3) {
                    let line = s.line(r)
                    guard let range = line.range(of: p.plan.rawValue) else { continue }
                    let next = line[range.upperBound...].first
                    // "]" closes the cursor's brackets.
                    XCTAssertTrue(next == nil || next == " " || "]●○◆┊┄".contains(next!), "\(p.plan.rawValue) runs on: \(line)")
                }
            }
            // The view leaves the status line (row 1) to the plan's words.
            XCTAssertTrue(s.line(1).contains("ha-100:"), s.dump)
        }
    }

    /// Auto mode calibrates only HA and HT: most of the menu is unmeasured, and the
    /// legend wraps onto as many rows as the list takes, at 60×20 too.
    func testALongUnmeasuredListWrapsWhole() {
        var snap = Self.fullMenu()
        let measured: Set<Plan> = [.ha100, .ht, .solo50, .soloU50]
        snap.planMap!.points = snap.planMap!.points.map { measured.contains($0.plan) ? $0 : PlanPoint(plan: $0.plan, capacity: nil, accuracy: $0.accuracy) }
        let s = Dashboard.render(snap, ui: ui, rows: 20, columns: 60)
        let first = s.firstRow(containing: "unmeasured:") ?? 0
        let legend = (first..<(s.rows - 1)).map { s.line($0) }.joined(separator: " ")
        for p in snap.planMap!.points where !measured.contains(p.plan) {
            XCTAssertTrue(legend.contains(p.plan.rawValue), "\(p.plan.rawValue) not listed" + s.dump)
        }
        for p in measured { XCTAssertNotNil(point(of: p, in: s), "\(p.rawValue) not drawn" + s.dump) }
        XCTAssertTrue(s.line(19).contains("q quit"), s.dump)
    }

    func testTheViewGrowsWithTheTerminal() throws {
        func spread(_ rows: Int, _ columns: Int) throws -> (Int, Int) {
            let s = Dashboard.render(Self.sparse(), ui: ui, rows: rows, columns: columns)
            let ha = try XCTUnwrap(point(of: .ha100, in: s), s.dump)
            let solo = try XCTUnwrap(point(of: .solo50, in: s), s.dump)
            let ht = try XCTUnwrap(point(of: .ht, in: s), s.dump)
            return (solo.row - ha.row, ht.column - solo.column)
        }
        let small = try spread(20, 60), big = try spread(40, 120)
        XCTAssertGreaterThan(big.0, small.0)
        XCTAssertGreaterThan(big.1, small.1)
    }

    func testWithoutACostModelTheViewSaysSo() {
        var snap = Self.sparse()
        snap.planMap = nil
        var s = Dashboard.render(snap, ui: ui, rows: 20, columns: 60)
        XCTAssertNotNil(s.firstRow(containing: "no cost model"), s.dump)
        XCTAssertNil(s.firstRow(containing: "└"), s.dump)

        // The policy table: no figures, the driver's reason, the menu listed as unmeasured.
        snap.planMap = PlanMap(points: Plan.menu(for: .fluid).map { PlanPoint(plan: $0, capacity: nil, accuracy: 0.99) },
                               goal: "table", note: "no cost model: the policy table does not calibrate")
        s = Dashboard.render(snap, ui: ui, rows: 20, columns: 60)
        XCTAssertNotNil(s.firstRow(containing: "the policy table does not calibrate"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "unmeasured: [ha-100], ha-75"), s.dump)  // the cursor starts on ha-100
        XCTAssertTrue(s.text.contains("solo-u25"), s.dump)
    }

    func testPlanViewOffShowsTheUsualScreen() {
        let s = Dashboard.render(Self.sparse(), ui: DashboardUIState(), rows: 24, columns: 80)
        XCTAssertNil(s.firstRow(containing: "capacity img/s"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "events"), s.dump)
    }

    func testHelpDrawsOverThePlanView() {
        var open = ui
        open.helpVisible = true
        let s = Dashboard.render(Self.sparse(), ui: open, rows: 20, columns: 60)
        XCTAssertNotNil(s.firstRow(containing: "Keys"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "│ p "), s.dump)
    }

    func testConstraintFromThePolicyWords() {
        XCTAssertEqual(PlanMap.constraint(policy: "auto", offered: 5000), .offeredRate(5000))
        XCTAssertEqual(PlanMap.constraint(policy: "goal accuracy", offered: 5000), .offeredRate(5000))
        XCTAssertEqual(PlanMap.constraint(policy: "goal slo-p99 20 ms", offered: 100), .offeredRate(100))
        XCTAssertEqual(PlanMap.constraint(policy: "goal throughput (accuracy ≥ 98.5 %)", offered: 5000), .minAccuracy(0.985))
        XCTAssertNil(PlanMap.constraint(policy: "auto", offered: nil))
        XCTAssertNil(PlanMap.constraint(policy: "table", offered: 5000))
        XCTAssertNil(PlanMap.constraint(policy: "plan ha-100", offered: 5000))
    }

    /// A replay takes the plan view from the latest `model` event (the policy and rate
    /// from the sample), and says when the recording has none.
    func testReplayShowsTheLatestModelEvent() throws {
        let log = """
        {"type":"header","format":"fluid-session","version":1,"kind":"fluid","mode":"auto","rate":20000}
        {"type":"sample","t":1.0,"throughput":100,"accuracy":0.99,"plan":"ha-100","devices":{"master":{"state":"up"},"worker":{"state":"up"}},"offered_rate":20000,"adaptive":{"policy":"auto","wanted":"ha-100","calibrating":true}}
        {"type":"event","t":2.0,"event":"model","model":{"devices":{},"plans":[{"plan":"ha-100","capacity":25000,"accuracy":0.9921},{"plan":"ht-50+u50","capacity":45000,"accuracy":0.987},{"plan":"solo-25","capacity":null,"accuracy":0.976}]}}
        {"type":"sample","t":3.0,"throughput":20000,"accuracy":0.99,"plan":"ha-100","devices":{"master":{"state":"up"},"worker":{"state":"up"}},"offered_rate":20000,"adaptive":{"policy":"auto","wanted":"ha-100","calibrating":false}}
        {"type":"event","t":4.0,"event":"model","model":{"devices":{},"plans":[{"plan":"ha-100","capacity":6000,"accuracy":0.9921},{"plan":"ht-50+u50","capacity":45000,"accuracy":0.987}]}}
        {"type":"sample","t":5.0,"throughput":20000,"accuracy":0.99,"plan":"ht-50+u50","devices":{"master":{"state":"up","slow":4.0},"worker":{"state":"up"}},"offered_rate":20000,"adaptive":{"policy":"auto","wanted":"ht-50+u50","calibrating":false}}
        """
        let parsed = try SessionLogParser.parse(Data(log.utf8), name: "t.jsonl")
        let d = ReplayDriver(log: parsed, name: "t.jsonl", clock: { 0 })
        let before = try XCTUnwrap(d.snapshot(at: 1.5).planMap)
        XCTAssertFalse(before.points.contains(where: \.isMeasured))
        XCTAssertTrue(before.note?.contains("no cost model in this recording") == true)
        let first = try XCTUnwrap(d.snapshot(at: 3.5).planMap)
        XCTAssertEqual(first.points.map(\.plan), [.ha100, .ht, .solo25])
        XCTAssertEqual(first.points[0].capacity, 25_000)
        XCTAssertNil(first.points[2].capacity)
        XCTAssertEqual(first.constraint, .offeredRate(20_000))
        let second = try XCTUnwrap(d.snapshot(at: 5).planMap)
        XCTAssertEqual(second.points[0].capacity, 6_000)
        let s = Dashboard.render(d.snapshot(at: 5), ui: DashboardUIState(keyTable: .replay, planVisible: true), rows: 20, columns: 60)
        let served = try XCTUnwrap(point(of: .ht, in: s), s.dump)
        XCTAssertEqual(served.glyph, "◆")
        XCTAssertEqual(s[served.row, served.column].role, .selected)
        XCTAssertEqual(s.roles(row: served.row).filter { $0 == .selected }.count, 1 + Plan.ht.rawValue.count)
        XCTAssertNotNil(point(of: .ha100, in: s), s.dump)
        XCTAssertTrue(s.line(2).contains("Master ● UP SLOW ×4"), s.dump)
    }
}
