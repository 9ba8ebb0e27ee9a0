import FluidVocabulary

/// What the viewer, not the cluster, decides: help open, display paused, read-only,
/// how far the event log is scrolled back.
public struct DashboardUIState: Equatable, Sendable {
    public var keyTable: KeyTable
    public var helpVisible: Bool
    /// The plan view (`p`) replaces the panels, graphs and events; keys keep working.
    public var planVisible: Bool
    public var paused: Bool
    /// `--read-only`: fault keys are hidden from the footer and ignored.
    public var readOnly: Bool
    /// Header title: "Fluid demo", "replay session.jsonl", …
    public var title: String
    /// A transient note (last action, an error) shown on the status line.
    public var message: String?
    /// Event-log lines scrolled back from the newest (0: the newest is visible).
    public var eventScroll: Int
    /// The plan view's cursor: an index into the kind's menu, taken modulo its length
    /// where it is used (`cursorIndex`), so it wraps both ways and survives a kind switch.
    /// It starts on the menu's first plan (`ha-100`).
    public var planCursor: Int

    public init(keyTable: KeyTable = .live, helpVisible: Bool = false, planVisible: Bool = false,
                paused: Bool = false, readOnly: Bool = false, title: String = "Fluid", message: String? = nil) {
        self.keyTable = keyTable
        self.helpVisible = helpVisible
        self.planVisible = planVisible
        self.paused = paused
        self.readOnly = readOnly
        self.title = title
        self.message = message
        self.eventScroll = 0
        self.planCursor = 0
    }

    /// `cursor` as an index into a menu of `count` plans (nil for an empty menu).
    public static func wrap(_ cursor: Int, count: Int) -> Int? {
        guard count > 0 else { return nil }
        return ((cursor % count) + count) % count
    }

    /// The plan under the cursor in `menu` (the plan view's points, in menu order).
    public func cursorPlan(in menu: [Plan]) -> Plan? {
        Self.wrap(planCursor, count: menu.count).map { menu[$0] }
    }

    /// What `key` does on a screen of this size, or nil when it does nothing.
    ///
    /// - The too-small screen shows nothing to act on: only quit keys work (and resize,
    ///   which the loop handles before asking).
    /// - With help open, Esc, `?`, `h`, F1 and `q` close it: `q` closes the overlay the
    ///   user is looking at rather than quitting from behind it; F10 and Ctrl-C still quit.
    ///   Other keys do nothing while help covers the screen.
    /// - Esc closes the plan view; on the main screen it has nothing to close.
    /// - The plan cursor's keys (arrows, Enter) act only in the plan view; Enter becomes
    ///   `pinPlan` at the cursor.
    public func action(for key: DashboardKey, rows: Int, columns: Int) -> DashboardAction? {
        let quitKeys: [DashboardKey] = [.character("q"), .function(10), .controlC]
        if Dashboard.isTooSmall(rows: rows, columns: columns) {
            return quitKeys.contains(key) ? .quit : nil
        }
        if helpVisible {
            if key == .function(10) || key == .controlC { return .quit }
            let closing: [DashboardKey] = [.escape, .character("?"), .character("h"), .function(1), .character("q")]
            return closing.contains(key) ? .closeOverlay : nil
        }
        if key == .escape { return planVisible ? .closeOverlay : nil }
        guard let a = keyTable.action(for: key, readOnly: readOnly) else { return nil }
        if a.isPlanViewOnly, !planVisible { return nil }
        return a == .pinAtCursor ? .pinPlan(menuIndex: planCursor) : a
    }

    /// Applies the UI part of an action; returns true when the dashboard should quit.
    /// `page`: event-log rows on screen (PgUp/PgDn move by one page).
    public mutating func apply(_ action: DashboardAction, page: Int = 5) -> Bool {
        switch action {
        case .toggleHelp: helpVisible.toggle()
        case .togglePlanView: planVisible.toggle()
        case .closeOverlay:
            // Help may be open over the plan view: Esc closes what is on top.
            if helpVisible { helpVisible = false } else { planVisible = false }
        case .togglePause: paused.toggle()
        case .eventsOlder: eventScroll += max(1, page)
        case .eventsNewer: eventScroll = max(0, eventScroll - max(1, page))
        case .movePlanCursor(let d): planCursor += d
        case .quit: return true
        default: break
        }
        return false
    }
}
