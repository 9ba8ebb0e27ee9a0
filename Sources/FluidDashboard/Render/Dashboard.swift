import FluidVocabulary

/// The pure dashboard: `render(snapshot, ui, size) -> Screen`. No curses, no
/// sockets; the terminal backend and the asciicast writer only flush the result.
///
/// Layout, top to bottom (80×24 shown; a taller terminal grows the graphs and the
/// event log, a wider one the graphs' history):
/// ```
///  0      header bar, coloured by health and saying it: OK / DEGRADED / OUTAGE
///  1      the plan in plain words (or the last message), offered rate, status
///  2…8    a panel per device (Master | Worker side by side)
///  9…11   throughput graph: stacked per-device answers, with its scale
///  12     accuracy graph
///  13     request counters: sent, predictions, unavailable, in flight
///  14…22  event log (newest at the bottom; PgUp/PgDn scroll)
///  23     footer drawn from the key table
/// ```
public enum Dashboard {
    /// Below this the layout cannot hold both panels and the footer, nor help with every
    /// key: the "terminal too small" screen is drawn instead (and only `q` and resize act).
    public static let minimumColumns = 60
    public static let minimumRows = 20

    static let panelHeight = 7

    /// Rows given to each part at a terminal height.
    struct Layout {
        var graphRows: Int
        var accuracyRows: Int
        var eventTop: Int
        var eventBottom: Int

        init(rows: Int) {
            let extra = max(0, rows - 24)
            graphRows = min(12, 3 + extra / 2 - (rows < 24 ? 1 : 0))
            accuracyRows = min(4, 1 + extra / 6)
            eventTop = 2 + Dashboard.panelHeight + graphRows + accuracyRows + 1
            eventBottom = rows - 2
        }
    }

    /// Event-log rows that fit (a page for PgUp/PgDn). The plan view (`p`, PlanView.swift)
    /// takes rows 2…rows−2 instead of the panels, graphs and events.
    public static func eventRows(rows: Int) -> Int {
        let l = Layout(rows: rows)
        return max(1, l.eventBottom - l.eventTop)
    }

    public static func isTooSmall(rows: Int, columns: Int) -> Bool {
        rows < minimumRows || columns < minimumColumns
    }

    public static func render(_ snapshot: DashboardSnapshot, ui: DashboardUIState,
                              rows: Int, columns: Int) -> Screen {
        var screen = Screen(rows: rows, columns: columns)
        guard !isTooSmall(rows: rows, columns: columns) else {
            drawTooSmall(into: &screen, ui: ui)
            return screen
        }
        let layout = Layout(rows: rows)
        drawHeader(snapshot, ui: ui, into: &screen)
        drawStatus(snapshot, ui: ui, into: &screen, row: 1)
        if ui.planVisible {
            let cursor = snapshot.planMap.flatMap { ui.cursorPlan(in: $0.points.map(\.plan)) }
            drawPlanView(snapshot, cursor: cursor, into: &screen, top: 2, bottom: rows - 2)
            drawFooter(ui, into: &screen, row: rows - 1)
            if ui.helpVisible { drawHelp(ui, plan: snapshot.plan, kind: snapshot.kind, into: &screen) }
            return screen
        }
        let half = columns / 2
        drawDevice(snapshot.master, into: &screen, row: 2, column: 0, width: half)
        drawDevice(snapshot.worker, into: &screen, row: 2, column: half, width: columns - half)
        drawLink(cut: snapshot.linkCut, into: &screen, row: 2 + panelHeight - 1, center: half)
        var row = 2 + panelHeight
        drawThroughputGraph(snapshot, into: &screen, row: row, height: layout.graphRows)
        row += layout.graphRows
        drawAccuracyGraph(snapshot, into: &screen, row: row, height: layout.accuracyRows)
        row += layout.accuracyRows
        drawCounters(snapshot, into: &screen, row: row)
        drawEvents(snapshot.events, scroll: ui.eventScroll, into: &screen,
                   top: layout.eventTop, bottom: layout.eventBottom)
        drawFooter(ui, into: &screen, row: rows - 1)
        if ui.helpVisible { drawHelp(ui, plan: snapshot.plan, kind: snapshot.kind, into: &screen) }
        return screen
    }

    // MARK: header and status

    /// The header's first words: health, never told by colour alone.
    static func healthText(_ s: DashboardSnapshot) -> String {
        switch s.health {
        case .outage: return "OUTAGE · \(Format.si(s.unavailableRate)) unavailable/s"
        case .degraded: return "DEGRADED"
        case .full: return "OK"
        }
    }

    static func bannerRole(_ h: Health) -> StyleRole {
        switch h {
        case .full: return .bannerOK
        case .degraded: return .bannerDegraded
        case .outage: return .bannerOutage
        }
    }

    /// The header names health, kind, mode and plan with labels when the width allows
    /// and drops the labels (then the title) when it does not: the values always stay.
    static func drawHeader(_ s: DashboardSnapshot, ui: DashboardUIState, into screen: inout Screen) {
        let role = bannerRole(s.health)
        screen.fill(row: 0, column: 0, height: 1, width: screen.columns, role: role)
        let modeText = s.policyLabel ?? (s.mode == .auto ? "AUTO" : s.mode.rawValue.uppercased())
        let rec = s.recording ? "● REC " : ""
        let health = " " + healthText(s)
        let values = [Format.clock(s.sessionTime), "\(Format.si(s.throughput)) img/s",
                      "acc \(Format.percent(s.accuracy, count: s.accuracyCount))"]
        let candidates = [
            [health, ui.title, "kind \(s.kind.rawValue)", "mode \(modeText)", "plan \(s.plan.rawValue)"] + values,
            [health, ui.title, "\(s.kind.rawValue) \(modeText)", "plan \(s.plan.rawValue)"] + values,
            [health, "\(s.kind.rawValue) \(modeText)", "plan \(s.plan.rawValue)"] + values,
            [health, "\(s.kind.rawValue) \(modeText)", s.plan.rawValue] + values,
            [health, s.plan.rawValue] + values,
        ]
        let fits = candidates.first { $0.joined(separator: " · ").count + rec.count + 1 <= screen.columns }
        let items = fits ?? candidates[candidates.count - 1]
        screen.put(items.joined(separator: " · "), row: 0, column: 0, role: role,
                   maxWidth: screen.columns - rec.count)
        if s.recording {
            screen.put(rec, row: 0, column: screen.columns - rec.count, role: role)
        }
    }

    /// Left: the last message while it is fresh, then the plan in plain words and why.
    /// Right: offered rate, read-only, the driver's status.
    static func drawStatus(_ s: DashboardSnapshot, ui: DashboardUIState, into screen: inout Screen, row: Int) {
        var right: [String] = []
        if ui.readOnly { right.append("read-only") }
        if let st = s.status { right.append(st) }
        if let r = s.offeredRate { right.append("offered \(Format.si(r)) img/s") }
        let reason = s.planReason.isEmpty ? "" : " (\(s.planReason))"
        let words = " \(s.plan.rawValue): \(s.plan.plainWords)"
        let message = ui.message.map { " ▸ \($0) " } ?? ""
        let pausedWidth = ui.paused ? 9 : 0
        // The plan's words (and a fresh message) come first; the right side gets what is left.
        let leftWant = message.count + words.count + 1
        // A fresh message (a path, a refusal) may take the whole row; else the right side keeps a quarter.
        let leftTake = message.isEmpty ? min(leftWant, screen.columns * 3 / 4) : message.count
        let rightRoom = max(0, screen.columns - pausedWidth - leftTake - 1)
        var rightText = right.joined(separator: "  ")
        if rightText.count > rightRoom { rightText = rightRoom > 1 ? String(rightText.prefix(rightRoom - 1)) + "…" : "" }
        let room = max(0, screen.columns - rightText.count - pausedWidth - 1)
        var c = 0
        if !message.isEmpty {
            c = screen.put(message, row: row, column: 0, role: .key, maxWidth: room)
        }
        if room - c > 8 {
            let role: StyleRole = s.plan == .none ? .failed : .normal
            c = screen.put(words, row: row, column: c, role: role, maxWidth: room - c)
            screen.put(reason, row: row, column: c, role: .dim, maxWidth: max(0, room - c))
        }
        if ui.paused {
            screen.put(" PAUSED ", row: row, column: room, role: .degraded)
        }
        if !rightText.isEmpty {
            screen.put(rightText, row: row, column: screen.columns - rightText.count, role: .dim)
        }
    }

    // MARK: device panels

    static func drawDevice(_ d: DeviceStatus, into screen: inout Screen, row: Int, column: Int, width: Int) {
        // Leader and follower are roles of live devices only: a dead one leads nothing.
        let part = d.state == .up ? (d.isLeader ? " · leader" : " · follower") : ""
        screen.box(row: row, column: column, height: panelHeight, width: width,
                   title: "\(d.name.title)\(part)" + (d.pid.map { " · pid \($0)" } ?? ""))
        let inner = width - 4
        let x = column + 2
        var c = screen.put("\(d.state.glyph) \(d.state.word)", row: row + 1, column: x, role: d.state.role)
        if d.state == .up, let k = d.slowFactor {
            // A gray failure: up, but K× below its model (amber, and said in words).
            c = screen.put("  SLOW ×\(Format.factor(k))", row: row + 1, column: c, role: .degraded)
        }
        switch d.state {
        case .up:
            c = screen.put("  runs ", row: row + 1, column: c, role: .dim)
            screen.put(d.job.label ?? "nothing (idle)", row: row + 1, column: c, role: .accent, maxWidth: x + inner - c)
        case .down:
            screen.put("  not serving", row: row + 1, column: c, role: .dim, maxWidth: x + inner - c)
        case .hung:
            screen.put("  silent (last figures kept)", row: row + 1, column: c, role: .dim, maxWidth: x + inner - c)
        }
        let live = d.state == .up
        let lines = [
            "answers \(Format.si(live ? d.answersPerSecond : 0, width: 5))/s  computes \(Format.si(live ? d.imagesPerSecond : 0, width: 5))/s",
            "latency p50 \(Format.ms(d.latencyP50ms))  p99 \(Format.ms(d.latencyP99ms))",
            "heartbeat \(Format.ms(d.heartbeatAgeMs)) ago",
            "peer sent \(Format.bytes(d.bytesSent))  recv \(Format.bytes(d.bytesReceived))",
        ]
        for (i, text) in lines.enumerated() {
            let role: StyleRole = i == 2 && d.state == .hung ? .degraded : (live ? .normal : .dim)
            screen.put(text.fitted(inner), row: row + 2 + i, column: x, role: role)
        }
    }

    /// The Master ↔ Worker link, on the panels' shared bottom border: cut in red with words.
    static func drawLink(cut: Bool, into screen: inout Screen, row: Int, center: Int) {
        let text = cut ? " ✂ link CUT " : " link ok "
        let column = max(0, center - text.count / 2)
        screen.put(text, row: row, column: column, role: cut ? .failed : .dim)
    }

    // MARK: graphs and counters

    static let graphLabelWidth = 7
    static let graphLegendWidth = 17

    /// Predictions per second, stacked by the device that answered (Master `█` below,
    /// Worker `▒` above), scaled to the largest total shown; the scale's top and 0 at
    /// the left; `✖` on the bottom row marks a second that only got *unavailable*.
    static func drawThroughputGraph(_ s: DashboardSnapshot, into screen: inout Screen, row: Int, height: Int) {
        guard height > 0 else { return }
        let width = max(1, screen.columns - graphLabelWidth - graphLegendWidth - 1)
        let total = s.throughputHistory.suffix(width)
        let n = total.count
        func aligned(_ xs: [Double]) -> [Double] {
            // Per-device series may be shorter (a replay of an older log): pad at the left.
            let tail = Array(xs.suffix(n))
            return Array(repeating: 0, count: n - tail.count) + tail
        }
        let master = aligned(s.masterHistory), worker = aligned(s.workerHistory)
        let unavailable = aligned(s.unavailableHistory)
        let top = max(total.filter(\.isFinite).max() ?? 0, 1)
        let scale = niceCeiling(top)
        screen.put(Format.si(scale).leftPadded(graphLabelWidth - 2) + " ┤", row: row, column: 0, role: .dim)
        if height > 1 { screen.put("0".leftPadded(graphLabelWidth - 2) + " ┤", row: row + height - 1, column: 0, role: .dim) }
        let eighths = Double(height * 8)
        let left = graphLabelWidth + (width - n)
        for (i, t) in total.enumerated() {
            let col = left + i
            guard t.isFinite, t > 0 else {
                if unavailable[i] > 0 { screen.put("✖", row: row + height - 1, column: col, role: .failed) }
                continue
            }
            let split = master[i] + worker[i] > 0 ? master[i] / (master[i] + worker[i]) : 1
            let filled = Int((t / scale * eighths).rounded())
            let masterFilled = Int((Double(filled) * split).rounded())
            for r in 0..<height {
                let base = r * 8
                let f = min(8, max(0, filled - base))
                guard f > 0 else { break }
                let isMaster = base + f / 2 < masterFilled || (f < 8 && masterFilled >= filled)
                let glyph: Character = f < 8 ? Sparkline.levels[f - 1] : (isMaster ? "█" : "▒")
                screen.put(String(glyph), row: row + height - 1 - r, column: col,
                           role: isMaster ? .accent : .series2)
            }
        }
        let x = screen.columns - graphLegendWidth
        let legend: [(String, StyleRole)] = [
            ("img/s \(Format.si(s.throughput, width: 5))", .normal),
            ("█ Master \(Format.si(s.master.answersPerSecond ?? 0, width: 5))", .accent),
            ("▒ Worker \(Format.si(s.worker.answersPerSecond ?? 0, width: 5))", .series2),
        ]
        for (i, (text, role)) in legend.prefix(height).enumerated() {
            screen.put(text, row: row + i, column: x, role: role, maxWidth: graphLegendWidth)
        }
    }

    /// 1, 2, 5 × 10^k at or above `v`: a scale that reads as a round number.
    static func niceCeiling(_ v: Double) -> Double {
        guard v.isFinite, v > 0 else { return 1 }
        var p = 1.0
        while p * 10 <= v { p *= 10 }
        for m in [1.0, 2, 2.5, 5, 10] where m * p >= v { return m * p }
        return 10 * p
    }

    /// Accuracy per second, scaled to the range shown (at least one point wide); the
    /// value at the right is over the accuracy window (≥ 2 000 predictions).
    static func drawAccuracyGraph(_ s: DashboardSnapshot, into screen: inout Screen, row: Int, height: Int) {
        guard height > 0 else { return }
        let width = max(1, screen.columns - graphLabelWidth - graphLegendWidth - 1)
        screen.put(" acc", row: row, column: 0, role: .dim)
        let shown = s.accuracyHistory.suffix(width).filter(\.isFinite)
        let low = max(0, (shown.min() ?? 0) - 0.002), high = max(shown.max() ?? 1, low + 0.01)
        if height == 1 {
            screen.put(Sparkline.render(s.accuracyHistory, width: width, low: low, high: high),
                       row: row, column: graphLabelWidth, role: .healthy)
        } else {
            let cells = Sparkline.columns(s.accuracyHistory, width: width, height: height, low: low, high: high)
            for (r, line) in cells.enumerated() {
                screen.put(line, row: row + r, column: graphLabelWidth, role: .healthy)
            }
            screen.put(Format.percent(high, count: 2_000).leftPadded(graphLabelWidth - 1), row: row, column: 0, role: .dim)
            screen.put(Format.percent(low, count: 2_000).leftPadded(graphLabelWidth - 1), row: row + height - 1, column: 0, role: .dim)
        }
        let n = s.accuracyCount > 0 ? " n \(Format.si(s.accuracyCount))" : ""
        screen.put("acc \(Format.percent(s.accuracy, count: s.accuracyCount))\(n)",
                   row: row, column: screen.columns - graphLegendWidth, maxWidth: graphLegendWidth)
    }

    static func drawCounters(_ s: DashboardSnapshot, into screen: inout Screen, row: Int) {
        let n = s.counters
        var c = screen.put(" requests ", row: row, column: 0, role: .dim)
        c = screen.put("sent \(Format.si(n.sent)) · predictions \(Format.si(n.predicted)) · ", row: row, column: c)
        c = screen.put("unavailable \(Format.si(n.unavailable))", row: row, column: c,
                       role: n.unavailable > 0 ? .degraded : .normal)
        if let f = n.inFlight { c = screen.put(" · in flight \(Format.si(f))", row: row, column: c) }
        if let lost = n.lost {
            c = screen.put(" · ", row: row, column: c)
            screen.put("lost \(lost)", row: row, column: c, role: lost == 0 ? .healthy : .failed)
        }
    }

    // MARK: event log

    /// The newest events at the bottom; `scroll` lines back from the newest with PgUp.
    static func drawEvents(_ events: [DashboardEvent], scroll: Int, into screen: inout Screen, top: Int, bottom: Int) {
        guard bottom >= top else { return }
        let capacity = bottom - top
        let maxScroll = max(0, events.count - capacity)
        let back = min(max(0, scroll), maxScroll)
        let note = back > 0 ? " \(back) newer below · PgDn " : (maxScroll > 0 ? " PgUp older " : "")
        let title = " events "
        let rule = String(repeating: "─", count: max(0, screen.columns - title.count - note.count - 2))
        var c = screen.put(title + rule, row: top, column: 0, role: .border)
        c = screen.put(note, row: top, column: c, role: back > 0 ? .degraded : .dim)
        guard capacity > 0 else { return }
        if events.isEmpty {
            screen.put("   (none yet)", row: top + 1, column: 0, role: .dim)
            return
        }
        for (i, e) in events.dropLast(back).suffix(capacity).enumerated() {
            let r = top + 1 + i
            var c = screen.put(" \(Format.eventTime(e.time)) ", row: r, column: 0, role: .dim)
            c = screen.put("\(e.severity.glyph) ", row: r, column: c, role: e.severity.role)
            screen.put(e.text, row: r, column: c, role: e.severity.role, maxWidth: screen.columns - c)
        }
    }

    // MARK: footer

    /// Footer items from the key table: consecutive bindings sharing a footer word
    /// merge into one item (`m/w crash`). Help and quit are always kept; the others
    /// are dropped, last first, when the width runs out (help lists them all).
    static func footerItems(_ ui: DashboardUIState) -> [(keys: String, word: String, keep: Bool)] {
        var items: [(keys: String, word: String, keep: Bool)] = []
        for b in ui.keyTable.active(readOnly: ui.readOnly) {
            guard let word = b.footer, let key = b.keys.first else { continue }
            let keyText = key == .character(" ") ? "spc" : key.display
            let keep = b.action == .toggleHelp || b.action == .quit
            if let last = items.last, last.word == word {
                items[items.count - 1].keys += "/" + keyText
            } else {
                items.append((keyText, word, keep))
            }
        }
        return items
    }

    static func drawFooter(_ ui: DashboardUIState, into screen: inout Screen, row: Int) {
        var items = footerItems(ui)
        func width(_ xs: [(keys: String, word: String, keep: Bool)]) -> Int {
            xs.reduce(0) { $0 + $1.keys.count + 1 + $1.word.count + 2 }
        }
        // One column before the first item; no gap needed after the last.
        while width(items) - 2 + 1 > screen.columns,
              let drop = items.lastIndex(where: { !$0.keep }) {
            items.remove(at: drop)
        }
        var c = 1
        for item in items {
            c = screen.put(item.keys, row: row, column: c, role: .key)
            c = screen.put(" " + item.word, row: row, column: c, role: .dim) + 2
        }
    }

    // MARK: help overlay

    /// Every binding of the table (bindings sharing a label share a row: `m w`, `1 2 3`),
    /// dangerous ones marked; with `--read-only` the faults are listed as disabled. Below
    /// them, when there is room, the plans of the running kind in plain words (always at
    /// least the current one).
    static func drawHelp(_ ui: DashboardUIState, plan: Plan, kind: ModelKind, into screen: inout Screen) {
        let rows = ui.keyTable.helpRows
        let plans: [Plan]
        switch kind {
        case .fluid: plans = [.ha100, .ht, .solo50, .soloU50, .none]
        case .dynamic: plans = [.ha100, .solo50, .none]
        case .static: plans = [.ha100, .none]
        }
        let width = min(screen.columns - 2, 78)
        let roomForPlans = screen.rows - 2 - rows.count - 3
        let planLines = roomForPlans >= plans.count + 1 ? plans : (roomForPlans >= 2 ? [plan] : [])
        let planBlock = planLines.isEmpty ? 0 : planLines.count + 1
        let roomy = screen.rows >= rows.count + planBlock + 6
        let height = min(screen.rows, rows.count + planBlock + (roomy ? 4 : 2))
        let top = max(0, (screen.rows - height) / 2)
        let left = max(1, (screen.columns - width) / 2)
        screen.fill(row: top - 1, column: left - 1, height: height + 2, width: width + 2)
        screen.box(row: top, column: left, height: height, width: width, title: "Keys")
        // Narrow: the fault mark shrinks to its glyph, so labels keep 42 columns at 60.
        let narrow = width < 70
        let keyWidth = 10, markWidth = narrow ? 2 : 9
        let labelWidth = width - 4 - keyWidth - markWidth
        var r = top + (roomy ? 2 : 1)
        for row in rows.prefix(max(0, height - 2 - planBlock)) {
            let disabled = ui.readOnly && row.dangerous
            screen.put(row.keys.fitted(keyWidth), row: r, column: left + 2,
                       role: disabled ? .dim : .key)
            screen.put(row.label.fitted(labelWidth), row: r, column: left + 2 + keyWidth,
                       role: disabled ? .dim : .normal)
            if row.dangerous {
                screen.put(disabled ? (narrow ? "✗" : "read-only") : (narrow ? "⚠" : "⚠ fault"), row: r,
                           column: left + 2 + keyWidth + labelWidth + 1,
                           role: disabled ? .dim : .failed)
            }
            r += 1
        }
        if !planLines.isEmpty {
            screen.put("Plans (\(kind.rawValue))", row: r, column: left + 2, role: .title)
            r += 1
            for p in planLines {
                screen.put(p.rawValue.fitted(keyWidth), row: r, column: left + 2, role: p == plan ? .key : .accent)
                screen.put(p.plainWords.fitted(width - 4 - keyWidth), row: r, column: left + 2 + keyWidth)
                r += 1
            }
        }
        screen.put(" Esc or ? closes ", row: top + height - 1, column: left + width - 19, role: .dim)
    }

    // MARK: too small

    static func drawTooSmall(into screen: inout Screen, ui: DashboardUIState) {
        let lines = [
            "terminal too small",
            "\(screen.columns)×\(screen.rows), need \(minimumColumns)×\(minimumRows)",
            "q quits; other keys wait",
        ]
        let top = max(0, (screen.rows - lines.count) / 2)
        for (i, text) in lines.enumerated() {
            let col = max(0, (screen.columns - text.count) / 2)
            screen.put(text, row: top + i, column: col, role: i == 0 ? .degraded : .normal)
        }
    }
}
