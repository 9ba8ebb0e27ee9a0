import Foundation
import FluidVocabulary

/// The plan view (`p`, issue 14): every plan of the kind's menu as a point, x = the
/// capacity the cost model predicts (img/s at the devices' current speeds, so a slowed
/// device moves its plans left live), y = expected accuracy. The plan served is drawn
/// reversed; the goal's constraint is a line: the offered rate (vertical) for the
/// accuracy and SLO goals and auto mode, the least accuracy (horizontal) for
/// `--goal throughput`. It replaces the panels, graphs and events (rows `top…bottom`);
/// header, status line and footer stay. The cursor (arrows; Enter pins its plan) is
/// the plan whose name is in brackets, in the plot or in the legend's lists alike, so a
/// plan the model has not measured can be pinned too.
///
/// ```
///  Master ● UP SLOW ×4 runs 50      Worker ● UP runs u50
///  plans · fluid · goal accuracy · serve 20.0k img/s ────────
///   acc ▲                  ┊
///  99.21% ┤          ● ha-100
///         │        ● ha-75 ┊
///         │                ┊  ◆ ht-50+u50
///  97.02% ┤   ○ solo-u25   ┊
///         └────────────────┴──────────────
///         0        capacity img/s    40k
///  ◆ served · ○ misses the goal · [cursor] ↑↓ moves, Enter pins · unmeasured: [solo-25]
/// ```
extension Dashboard {
    static let planAxisWidth = 8

    static func drawPlanView(_ s: DashboardSnapshot, cursor: Plan? = nil, into screen: inout Screen, top: Int, bottom: Int) {
        guard bottom > top + 4 else { return }
        drawDeviceStrip(s, into: &screen, row: top)
        let map = s.planMap
        var title = " plans · \(s.kind.rawValue)"
        if let m = map {
            title += " · \(m.goal)"
            switch m.constraint {
            case .offeredRate(let r)?:
                // The headroom's bar is in the legend: the title stays short for 60 columns.
                title += " · serve \(Format.si(r)) img/s"
            case .minAccuracy(let a)?:
                // The policy's words may say it already ("goal throughput (accuracy ≥ 98.5 %)").
                if !m.goal.contains("≥") { title += " · accuracy ≥ \(accuracyText(a))" }
            case nil: break
            }
        }
        title += " "
        let rule = String(repeating: "─", count: max(0, screen.columns - title.count - 1))
        screen.put("─" + title, row: top + 1, column: 0, role: .title, maxWidth: screen.columns)
        screen.put(rule, row: top + 1, column: 1 + title.count, role: .border)
        var row = top + 2
        guard let map else {
            drawWrapped("no cost model: this driver has none to show", into: &screen, row: row, bottom: bottom, role: .degraded)
            return
        }
        if let note = map.note {
            row = drawWrapped(note, into: &screen, row: row, bottom: bottom, role: map.points.contains(where: \.isMeasured) ? .dim : .degraded)
        }
        let measured = map.points.filter(\.isMeasured)
        let unmeasured = map.points.filter { !$0.isMeasured }.map { cursorName($0.plan, cursor) }
        // What Enter does with the cursor's plan: pin it, or unpin it when it is the one pinned.
        let hint = cursor.map { "[cursor] ↑↓ moves, Enter " + ($0 == map.pinned ? "unpins" : "pins") }
        guard !measured.isEmpty else {
            if map.note == nil {
                row = drawWrapped("no plan measured yet: the cost model has no figures", into: &screen, row: row, bottom: bottom, role: .degraded)
            }
            if !unmeasured.isEmpty {
                row = drawWrapped("unmeasured: " + unmeasured.joined(separator: ", "), into: &screen, row: row, bottom: bottom, role: .dim)
            }
            if let hint { drawWrapped(hint, into: &screen, row: row, bottom: bottom, role: .dim) }
            return
        }
        // Rows: the plot, its x axis, the axis' labels, the legend with the unmeasured and
        // crowded plans: as many rows (up to four) as it takes wrapped; the plot gets the rest.
        var legend = ["◆ served"]
        if map.constraint != nil { legend.append("○ misses the goal") }
        if let need = map.requiredCapacity, case .offeredRate(let r)? = map.constraint, need > r {
            legend.append("▲ \(Format.si(need)) with headroom")
        }
        if let hint { legend.append(hint) }
        if !unmeasured.isEmpty { legend.append("unmeasured: " + unmeasured.joined(separator: ", ")) }
        let blank = screen
        for legendRows in 1...4 {
            var attempt = blank
            let unlabelled = drawPlanPlot(s, map, measured, cursor: cursor, into: &attempt, top: row, axisRow: bottom - 1 - legendRows)
            var text = legend
            if !unlabelled.isEmpty { text.append("crowded: " + unlabelled.joined(separator: ", ")) }
            let joined = text.joined(separator: " · ")
            if legendRows < 4, wrappedLines(joined, width: screen.columns - 2) > legendRows { continue }
            screen = attempt
            let legendTop = bottom - legendRows + 1
            drawWrapped(joined, into: &screen, row: legendTop, bottom: bottom, role: .dim)
            if let c = Array(screen.line(legendTop)).firstIndex(of: "◆") {
                screen.put("◆", row: legendTop, column: c, role: .selected)
            }
            return
        }
    }

    /// The axes, the goal's line and the points with their labels, in rows `top..<axisRow`
    /// (the x axis on `axisRow`, its labels below). Returns the plans whose label found
    /// no free spot (their point is drawn; the legend names them).
    static func drawPlanPlot(_ s: DashboardSnapshot, _ map: PlanMap, _ measured: [PlanPoint], cursor: Plan? = nil,
                             into screen: inout Screen, top: Int, axisRow: Int) -> [String] {
        let plotTop = top
        let plotRows = axisRow - plotTop
        let names = measured.map { cursorName($0.plan, cursor) }
        guard plotRows >= 2 else { return names }
        let left = planAxisWidth
        let plotWidth = screen.columns - left - 1
        guard plotWidth >= 10 else { return names }

        // Scales: x from 0 (the offered rate's distance from each plan reads as headroom),
        // y over the accuracies shown and the least accuracy, padded by a little.
        var xTop = measured.compactMap(\.capacity).max() ?? 1
        if let need = map.requiredCapacity { xTop = max(xTop, need) }
        let xMax = axisCeiling(xTop * 1.05)
        var accs = measured.compactMap(\.accuracy)
        if case .minAccuracy(let a)? = map.constraint { accs.append(a) }
        let span = (accs.max() ?? 1) - (accs.min() ?? 0)
        let pad = max(0.0005, span * 0.06)
        let yLow = max(0, (accs.min() ?? 0) - pad), yHigh = min(1, (accs.max() ?? 1) + pad)
        func column(_ capacity: Double) -> Int {
            left + 1 + Int((min(max(capacity, 0), xMax) / xMax * Double(plotWidth - 1)).rounded())
        }
        func rowOf(_ accuracy: Double) -> Int {
            let f = yHigh > yLow ? (yHigh - accuracy) / (yHigh - yLow) : 0.5
            return plotTop + Int((min(max(f, 0), 1) * Double(plotRows - 1)).rounded())
        }
        // What is taken in the plot, so labels do not overwrite points, lines' labels or
        // each other.
        var taken = Set<Int>()
        func key(_ r: Int, _ c: Int) -> Int { r * screen.columns + c }
        func free(_ r: Int, _ c: Int, _ n: Int) -> Bool {
            guard r >= plotTop, r < axisRow, c > left, c + n <= screen.columns else { return false }
            return (c..<(c + n)).allSatisfy { !taken.contains(key(r, $0)) }
        }
        func take(_ r: Int, _ c: Int, _ n: Int) { for x in c..<(c + n) { taken.insert(key(r, x)) } }

        // Axes.
        for r in plotTop..<axisRow { screen.put("│", row: r, column: left, role: .border) }
        screen.put("└" + String(repeating: "─", count: plotWidth), row: axisRow, column: left, role: .border)
        screen.put(accuracyText(yHigh).leftPadded(left - 1), row: plotTop, column: 0, role: .dim)
        screen.put(accuracyText(yLow).leftPadded(left - 1), row: axisRow - 1, column: 0, role: .dim)
        screen.put("┤", row: plotTop, column: left, role: .border)
        screen.put("┤", row: axisRow - 1, column: left, role: .border)
        screen.put("0", row: axisRow + 1, column: left, role: .dim)
        let maxText = Format.si(xMax)
        screen.put(maxText, row: axisRow + 1, column: screen.columns - 1 - maxText.count, role: .dim)
        let caption = "capacity img/s (model, live)"
        let captionColumn = left + max(2, (plotWidth - caption.count) / 2)
        if captionColumn + caption.count < screen.columns - maxText.count - 2 {
            screen.put(caption, row: axisRow + 1, column: captionColumn, role: .dim)
        } else {
            screen.put("img/s", row: axisRow + 1, column: left + 3, role: .dim)
        }
        if plotRows >= 4 { screen.put("acc".leftPadded(left - 2), row: plotTop + 1, column: 0, role: .dim) }

        // The goal's line, under the points.
        switch map.constraint {
        case .offeredRate(let r)?:
            let c = column(r)
            for y in plotTop..<axisRow { screen.put("┊", row: y, column: c, role: .degraded) }
            screen.put("┴", row: axisRow, column: c, role: .degraded)
            // Where the controller's headroom puts the bar for choosing a plan.
            if let need = map.requiredCapacity, column(need) != c {
                screen.put("▲", row: axisRow, column: column(need), role: .degraded)
            }
            take(plotTop, c, 1)
            let label = "offered \(Format.si(r))"
            let at = c + 2 + label.count <= screen.columns ? c + 2 : c - 1 - label.count
            screen.put(label, row: plotTop, column: at, role: .degraded)
            take(plotTop, at, label.count)
        case .minAccuracy(let a)?:
            let y = rowOf(a)
            for x in (left + 1)..<(left + 1 + plotWidth) { screen.put("┄", row: y, column: x, role: .degraded) }
            screen.put("┼", row: y, column: left, role: .degraded)
            let label = "min \(accuracyText(a))"
            let at = screen.columns - 1 - label.count
            screen.put(label, row: y, column: at, role: .degraded)
            take(y, at, label.count)
        case nil: break
        }

        // Points first (every point stays visible), then labels where they fit.
        func meets(_ p: PlanPoint) -> Bool {
            switch map.constraint {
            case .offeredRate?: return (p.capacity ?? 0) >= map.requiredCapacity ?? 0
            case .minAccuracy(let a)?: return (p.accuracy ?? 0) >= a
            case nil: return true
            }
        }
        // The served plan places its label first: it gets the best spot.
        let order = measured.sorted { ($0.plan == s.plan ? 0 : 1, $0.capacity ?? 0) < ($1.plan == s.plan ? 0 : 1, $1.capacity ?? 0) }
        var spots: [(PlanPoint, Int, Int)] = []
        var points = Set<Int>()
        for p in order {
            let r = rowOf(p.accuracy ?? 0), c = column(p.capacity ?? 0)
            let served = p.plan == s.plan
            let glyph = served ? "◆" : (meets(p) ? "●" : "○")
            screen.put(glyph, row: r, column: c, role: served ? .selected : (meets(p) ? .accent : .dim))
            take(r, c, 1)
            points.insert(key(r, c))
            spots.append((p, r, c))
        }
        var unlabelled: [String] = []
        for (p, r, c) in spots {
            let served = p.plan == s.plan
            let label = cursorName(p.plan, cursor)
            let n = label.count
            let candidates = [(r, c + 2), (r, c - 1 - n), (r - 1, c + 1), (r + 1, c + 1), (r - 1, c - n), (r + 1, c - n)]
            // A label must not read as another point's: no other point right beside it,
            // nor between it and its own point.
            func clear(_ lr: Int, _ lc: Int) -> Bool {
                guard free(lr, lc, n) else { return false }
                let lo = lr == r ? min(c + 1, lc - 1) : lc - 1, hi = lr == r ? max(c - 1, lc + n) : lc + n
                return !(lo...hi).contains { x in x != c && points.contains(key(lr, x)) }
                    && !(lr != r && points.contains(key(lr, c)))
            }
            guard let (lr, lc) = candidates.first(where: { clear($0.0, $0.1) }) else {
                unlabelled.append(label)
                continue
            }
            let role: StyleRole = served ? .selected : (p.plan == cursor ? .key : (meets(p) ? .normal : .dim))
            screen.put(label, row: lr, column: lc, role: role)
            // A blank either side: two labels never run into one word.
            take(lr, lc - 1, n + 2)
        }

        return unlabelled
    }

    /// A plan's name as the view writes it: in brackets under the cursor.
    static func cursorName(_ p: Plan, _ cursor: Plan?) -> String {
        p == cursor ? "[\(p.rawValue)]" : p.rawValue
    }

    /// A round number at or above `v`, finer than `niceCeiling` (1, 1.2, 1.5, 2, 2.5, 3, 4,
    /// 5, 6, 8 × 10^k), so the plans spread over most of the width.
    static func axisCeiling(_ v: Double) -> Double {
        guard v.isFinite, v > 0 else { return 1 }
        var p = 1.0
        while p * 10 <= v { p *= 10 }
        while p > v { p /= 10 }
        for m in [1.0, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10] where m * p >= v { return m * p }
        return 10 * p
    }

    /// "99.21%": test-set accuracies are over 10 000 images.
    static func accuracyText(_ a: Double) -> String { String(format: "%.2f%%", a * 100) }

    /// Each device in one row, its state in words and SLOW when it is (the panels are hidden).
    static func drawDeviceStrip(_ s: DashboardSnapshot, into screen: inout Screen, row: Int) {
        var c = 1
        for d in [s.master, s.worker] {
            c = screen.put("\(d.name.title) ", row: row, column: c, role: .title)
            c = screen.put("\(d.state.glyph) \(d.state.word)", row: row, column: c, role: d.state.role)
            if d.state == .up, let k = d.slowFactor {
                c = screen.put(" SLOW ×\(Format.factor(k))", row: row, column: c, role: .degraded)
            }
            if d.state == .up, let job = d.job.label {
                c = screen.put(" runs \(job)", row: row, column: c, role: .dim)
            }
            c += 3
        }
    }

    /// Rows `text` takes word-wrapped at `width` (as `drawWrapped` draws it).
    static func wrappedLines(_ text: String, width: Int) -> Int {
        var lines = 0, line = 0
        for word in text.split(separator: " ") {
            if line > 0, line + 1 + word.count > width { lines += 1; line = 0 }
            line += (line > 0 ? 1 : 0) + word.count
        }
        return lines + (line > 0 ? 1 : 0)
    }

    /// Word-wrapped text from `row`; returns the row after it.
    @discardableResult
    static func drawWrapped(_ text: String, into screen: inout Screen, row: Int, bottom: Int, role: StyleRole) -> Int {
        var r = row
        var line = ""
        let width = screen.columns - 2
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                if r <= bottom { screen.put(line, row: r, column: 1, role: role) }
                r += 1
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty, r <= bottom { screen.put(line, row: r, column: 1, role: role); r += 1 }
        return r
    }
}
