/// The pure dashboard: `render(snapshot, ui, size) -> Screen`. No curses, no
/// sockets; the terminal backend and the asciicast writer only flush the result.
///
/// Layout, top to bottom (80×24 shown; taller terminals give the event log more rows):
/// ```
///  0      header: title, kind, mode, plan, time, img/s, accuracy, REC
///  1      status: plan reason, offered rate, PAUSED, messages
///  2…8    a panel per device (Master | Worker side by side)
///  9…10   sparklines: throughput, accuracy
///  11     request counters
///  12…22  event log (newest at the bottom)
///  23     footer drawn from the key table
/// ```
public enum Dashboard {
    /// Below this the layout cannot hold both panels and the footer: the
    /// "terminal too small" screen is drawn instead (and `q` still quits).
    public static let minimumColumns = 60
    public static let minimumRows = 18

    static let panelHeight = 7

    public static func render(_ snapshot: DashboardSnapshot, ui: DashboardUIState,
                              rows: Int, columns: Int) -> Screen {
        var screen = Screen(rows: rows, columns: columns)
        guard rows >= minimumRows, columns >= minimumColumns else {
            drawTooSmall(into: &screen, ui: ui)
            return screen
        }
        drawHeader(snapshot, ui: ui, into: &screen)
        drawStatus(snapshot, ui: ui, into: &screen, row: 1)
        let half = columns / 2
        drawDevice(snapshot.master, into: &screen, row: 2, column: 0, width: half)
        drawDevice(snapshot.worker, into: &screen, row: 2, column: half, width: columns - half)
        var row = 2 + panelHeight
        drawSparklines(snapshot, into: &screen, row: row)
        row += 2
        drawCounters(snapshot.counters, into: &screen, row: row)
        row += 1
        drawEvents(snapshot.events, into: &screen, top: row, bottom: rows - 2)
        drawFooter(ui, into: &screen, row: rows - 1)
        if ui.helpVisible { drawHelp(ui, into: &screen) }
        return screen
    }

    // MARK: header and status

    /// The header names kind, mode and plan with labels when the width allows and
    /// drops the labels (then the title) when it does not: the values always stay.
    static func drawHeader(_ s: DashboardSnapshot, ui: DashboardUIState, into screen: inout Screen) {
        screen.fill(row: 0, column: 0, height: 1, width: screen.columns, role: .title)
        let modeText = s.mode == .auto ? "AUTO" : s.mode.rawValue.uppercased()
        let rec = s.recording ? "● REC " : ""
        let values = [Format.clock(s.sessionTime), "\(Format.rate(s.throughput)) img/s",
                      "acc \(Format.percent(s.accuracy))"]
        let candidates = [
            [" \(ui.title)", "kind \(s.kind.rawValue)", "mode \(modeText)", "plan \(s.plan.rawValue)"] + values,
            [" \(ui.title)", "\(s.kind.rawValue) \(modeText)", "plan \(s.plan.rawValue)"] + values,
            [" Fluid", "\(s.kind.rawValue) \(modeText)", "plan \(s.plan.rawValue)"] + values,
            ["", "\(s.kind.rawValue) \(modeText)", s.plan.rawValue] + values,
        ]
        let fits = candidates.first { $0.joined(separator: "  ").count + rec.count + 1 <= screen.columns }
        let items = fits ?? candidates[candidates.count - 1]
        screen.put(items.joined(separator: "  "), row: 0, column: 0, role: .title,
                   maxWidth: screen.columns - rec.count)
        if s.recording {
            screen.put(rec, row: 0, column: screen.columns - rec.count, role: .failed)
        }
    }

    static func drawStatus(_ s: DashboardSnapshot, ui: DashboardUIState, into screen: inout Screen, row: Int) {
        var right = ""
        if let r = s.offeredRate { right += "offered \(Format.rate(r)) img/s" }
        if ui.readOnly { right += right.isEmpty ? "read-only" : "  read-only" }
        if let st = s.status { right += right.isEmpty ? st : "  \(st)" }
        let reason = s.planReason.isEmpty ? "" : "plan: \(s.planReason)"
        var left = " " + reason
        if let m = ui.message { left += reason.isEmpty ? m : "  · \(m)" }
        let pausedWidth = ui.paused ? 9 : 0
        let room = screen.columns - right.count - pausedWidth - 2
        screen.put(left.fitted(max(0, room)), row: row, column: 0, role: .normal)
        if ui.paused {
            screen.put(" PAUSED ", row: row, column: max(0, room), role: .degraded)
        }
        screen.put(right, row: row, column: screen.columns - right.count - 1, role: .dim)
    }

    // MARK: device panels

    static func drawDevice(_ d: DeviceStatus, into screen: inout Screen, row: Int, column: Int, width: Int) {
        let role = d.isLeader ? "leader" : "follower"
        screen.box(row: row, column: column, height: panelHeight, width: width,
                   title: "\(d.name.title) · \(role)" + (d.pid.map { " · pid \($0)" } ?? ""))
        let inner = width - 4
        let x = column + 2
        var c = screen.put("\(d.state.glyph) \(d.state.word)", row: row + 1, column: x, role: d.state.role)
        if d.state == .up {
            c = screen.put("  sub-net ", row: row + 1, column: c, role: .dim)
            screen.put(d.job.label ?? "idle", row: row + 1, column: c, role: .accent, maxWidth: x + inner - c)
        } else {
            screen.put(d.state == .down ? "  not running" : "  stopped (SIGSTOP)",
                       row: row + 1, column: c, role: .dim, maxWidth: x + inner - c)
        }
        let lines = [
            "\(Format.rate(d.imagesPerSecond)) img/s",
            "p50 \(Format.ms(d.latencyP50ms))  p99 \(Format.ms(d.latencyP99ms))",
            "heartbeat \(Format.ms(d.heartbeatAgeMs)) ago",
            "sent \(Format.bytes(d.bytesSent))  recv \(Format.bytes(d.bytesReceived))",
        ]
        for (i, text) in lines.enumerated() {
            screen.put(text.fitted(inner), row: row + 2 + i, column: x,
                       role: d.state == .up ? .normal : .dim)
        }
    }

    // MARK: sparklines and counters

    static func drawSparklines(_ s: DashboardSnapshot, into screen: inout Screen, row: Int) {
        let labelWidth = 12, valueWidth = 14
        let width = max(1, screen.columns - labelWidth - valueWidth - 2)
        screen.put(" throughput", row: row, column: 0, role: .dim)
        screen.put(Sparkline.throughput(s.throughputHistory, width: width),
                   row: row, column: labelWidth, role: .accent)
        screen.put("\(Format.rate(s.throughput)) img/s".leftPadded(valueWidth),
                   row: row, column: labelWidth + width + 1)
        screen.put(" accuracy", row: row + 1, column: 0, role: .dim)
        screen.put(Sparkline.accuracy(s.accuracyHistory, width: width),
                   row: row + 1, column: labelWidth, role: .healthy)
        screen.put(Format.percent(s.accuracy).leftPadded(valueWidth),
                   row: row + 1, column: labelWidth + width + 1)
    }

    static func drawCounters(_ n: RequestCounters, into screen: inout Screen, row: Int) {
        var c = screen.put(" requests ", row: row, column: 0, role: .dim)
        c = screen.put("sent \(n.sent) · answered \(n.answered) · unavailable \(n.unavailable)",
                       row: row, column: c)
        if let f = n.inFlight { c = screen.put(" · in flight \(f)", row: row, column: c) }
        if let lost = n.lost {
            c = screen.put(" · ", row: row, column: c)
            screen.put("lost \(lost)", row: row, column: c, role: lost == 0 ? .healthy : .failed)
        }
    }

    // MARK: event log

    static func drawEvents(_ events: [DashboardEvent], into screen: inout Screen, top: Int, bottom: Int) {
        guard bottom >= top else { return }
        let header = " events " + String(repeating: "─", count: max(0, screen.columns - 8))
        screen.put(header, row: top, column: 0, role: .border)
        let capacity = bottom - top
        guard capacity > 0 else { return }
        if events.isEmpty {
            screen.put("   (none yet)", row: top + 1, column: 0, role: .dim)
            return
        }
        for (i, e) in events.suffix(capacity).enumerated() {
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
        while width(items) + 1 > screen.columns,
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

    /// Every binding of the table, dangerous ones marked; with `--read-only` the
    /// faults are listed as disabled. Drops its padding before it drops a row.
    static func drawHelp(_ ui: DashboardUIState, into screen: inout Screen) {
        let bindings = ui.keyTable.bindings
        let roomy = screen.rows >= bindings.count + 6
        let width = min(screen.columns - 2, 78)
        let height = min(screen.rows, bindings.count + (roomy ? 4 : 2))
        let top = max(0, (screen.rows - height) / 2)
        let left = max(1, (screen.columns - width) / 2)
        screen.fill(row: top - 1, column: left - 1, height: height + 2, width: width + 2)
        screen.box(row: top, column: left, height: height, width: width, title: "Keys")
        let keyWidth = 11, markWidth = 11
        let labelWidth = width - 4 - keyWidth - markWidth
        let first = top + (roomy ? 2 : 1)
        for (i, b) in bindings.prefix(height - 2).enumerated() {
            let r = first + i
            let disabled = ui.readOnly && b.dangerous
            screen.put(b.keysDisplay.fitted(keyWidth), row: r, column: left + 2,
                       role: disabled ? .dim : .key)
            screen.put(b.label.fitted(labelWidth), row: r, column: left + 2 + keyWidth,
                       role: disabled ? .dim : .normal)
            if b.dangerous {
                screen.put(disabled ? "read-only" : "⚠ fault", row: r,
                           column: left + 2 + keyWidth + labelWidth + 1,
                           role: disabled ? .dim : .failed)
            }
        }
        screen.put(" ? closes ", row: top + height - 1, column: left + width - 13, role: .dim)
    }

    // MARK: too small

    static func drawTooSmall(into screen: inout Screen, ui: DashboardUIState) {
        let lines = [
            "terminal too small",
            "\(screen.columns)×\(screen.rows), need \(minimumColumns)×\(minimumRows)",
            "q quits",
        ]
        let top = max(0, (screen.rows - lines.count) / 2)
        for (i, text) in lines.enumerated() {
            let col = max(0, (screen.columns - text.count) / 2)
            screen.put(text, row: top + i, column: col, role: i == 0 ? .degraded : .normal)
        }
    }
}
