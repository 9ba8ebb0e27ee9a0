/// One row of the key table: the single source for key handling, the footer and
/// the help overlay (htop `Action.c`, k9s `KeyAction{…, Dangerous}`). Labels stay
/// within 42 columns: help shows that much at the minimum size (60×20).
public struct KeyBinding: Equatable, Sendable {
    /// Every key that triggers the action; the first is the one the footer shows.
    public var keys: [DashboardKey]
    public var action: DashboardAction
    /// The help overlay's description.
    public var label: String
    /// The footer's word; consecutive bindings with the same word are merged
    /// (`m/w crash`). nil keeps the binding out of the footer.
    public var footer: String?
    /// Faults: marked in help, hidden and ignored with `--read-only`.
    public var dangerous: Bool

    public init(_ keys: [DashboardKey], _ action: DashboardAction, _ label: String,
                footer: String? = nil, dangerous: Bool = false) {
        self.keys = keys
        self.action = action
        self.label = label
        self.footer = footer
        self.dangerous = dangerous
    }

    public var keysDisplay: String { keys.map(\.display).joined(separator: " ") }
}

/// A key table, plus the read-only filter.
public struct KeyTable: Equatable, Sendable {
    public var bindings: [KeyBinding]

    public init(_ bindings: [KeyBinding]) { self.bindings = bindings }

    /// The bindings in force: with `readOnly`, the dangerous ones are gone.
    public func active(readOnly: Bool) -> [KeyBinding] {
        readOnly ? bindings.filter { !$0.dangerous } : bindings
    }

    /// The action for `key`, or nil if the key is unbound (or disabled read-only).
    /// PgDn shares a row with PgUp in help; it scrolls the other way.
    public func action(for key: DashboardKey, readOnly: Bool) -> DashboardAction? {
        let a = active(readOnly: readOnly).first { $0.keys.contains(key) }?.action
        return key == .pageDown && a == .eventsOlder ? .eventsNewer : a
    }

    /// Help's rows: consecutive bindings with the same label and danger share a row,
    /// their keys joined (`m w`, `1 2 3`), so every key fits at the minimum size.
    public var helpRows: [(keys: String, label: String, dangerous: Bool, bindings: [KeyBinding])] {
        var rows: [(keys: String, label: String, dangerous: Bool, bindings: [KeyBinding])] = []
        for b in bindings {
            if let last = rows.last, last.label == b.label, last.dangerous == b.dangerous {
                rows[rows.count - 1].keys += " " + b.keysDisplay
                rows[rows.count - 1].bindings.append(b)
            } else {
                rows.append((b.keysDisplay, b.label, b.dangerous, [b]))
            }
        }
        return rows
    }

    /// The live demo's keys (docs/dashboard.md): `m`/`w` crash and `M`/`W` hang the
    /// Master / Worker; `s` slows the Worker (the first key), `S` the Master.
    public static let live = KeyTable([
        KeyBinding([.character("m")], .crashOrRevive(.master),
                   "crash Master / Worker (SIGKILL) or revive", footer: "crash", dangerous: true),
        KeyBinding([.character("w")], .crashOrRevive(.worker),
                   "crash Master / Worker (SIGKILL) or revive", footer: "crash", dangerous: true),
        KeyBinding([.character("M")], .hangOrResume(.master),
                   "hang Master / Worker (SIGSTOP) or resume", footer: "hang", dangerous: true),
        KeyBinding([.character("W")], .hangOrResume(.worker),
                   "hang Master / Worker (SIGSTOP) or resume", footer: "hang", dangerous: true),
        KeyBinding([.character("s")], .slowOrUnslow(.worker),
                   "slow Worker / Master 4×, or end it", footer: "slow", dangerous: true),
        KeyBinding([.character("S")], .slowOrUnslow(.master),
                   "slow Worker / Master 4×, or end it", footer: "slow", dangerous: true),
        KeyBinding([.character("l")], .cutOrHealLink,
                   "cut the Master ↔ Worker link, or heal it", footer: "link", dangerous: true),
        KeyBinding([.character("t")], .toggleMode, "toggle High-Accuracy ↔ High-Throughput", footer: "HA/HT"),
        KeyBinding([.character("a")], .autoMode, "auto: pick HA or HT for the offered rate", footer: "auto"),
        KeyBinding([.character("1")], .selectKind(.static), "switch to Static / Dynamic / Fluid", footer: "kind"),
        KeyBinding([.character("2")], .selectKind(.dynamic), "switch to Static / Dynamic / Fluid", footer: "kind"),
        KeyBinding([.character("3")], .selectKind(.fluid), "switch to Static / Dynamic / Fluid", footer: "kind"),
        KeyBinding([.character("+"), .character("=")], .rateUp, "raise / lower the offered input rate", footer: "rate"),
        KeyBinding([.character("-"), .character("_")], .rateDown, "raise / lower the offered input rate", footer: "rate"),
        KeyBinding([.character("p")], .togglePlanView, "plan view: the menu on accuracy vs img/s", footer: "plans"),
        // Issue 14's experiments: pin any plan, or set a goal, while the cluster runs. Not
        // faults (they choose the policy): they work read-only too. Kept out of the
        // footer, which has no room left at 80 columns; help and the plan view name them.
        KeyBinding([.up], .movePlanCursor(-1), "plan view: move the cursor over the plans"),
        KeyBinding([.down], .movePlanCursor(1), "plan view: move the cursor over the plans"),
        KeyBinding([.left], .movePlanCursor(-1), "plan view: move the cursor over the plans"),
        KeyBinding([.right], .movePlanCursor(1), "plan view: move the cursor over the plans"),
        KeyBinding([.enter], .pinAtCursor, "pin the plan at the cursor / unpin"),
        KeyBinding([.character("u")], .unpin, "pin the plan at the cursor / unpin"),
        KeyBinding([.character("g")], .cycleGoal, "goal: off → accuracy → throughput → SLO"),
        KeyBinding([.character("[")], .adjustGoal(up: false), "lower / raise the goal's accuracy or SLO"),
        KeyBinding([.character("]")], .adjustGoal(up: true), "lower / raise the goal's accuracy or SLO"),
        KeyBinding([.character("r")], .toggleRecording, "start / stop recording (.jsonl + .cast)", footer: "rec"),
        KeyBinding([.character(" ")], .togglePause, "pause the display (the cluster runs on)", footer: "pause"),
        KeyBinding([.pageUp, .pageDown], .eventsOlder, "scroll the event log (PgDn: newer)"),
        KeyBinding([.character("?"), .character("h"), .function(1)], .toggleHelp, "this help (Esc, ? or q close it)", footer: "help"),
        KeyBinding([.character("q"), .function(10), .controlC], .quit, "quit: stop the nodes, restore the terminal", footer: "quit"),
    ])

    /// `fluid replay`: play, pause, speed, seek, the plan view, quit.
    public static let replay = KeyTable([
        KeyBinding([.character(" ")], .togglePause, "pause / resume playback", footer: "pause"),
        KeyBinding([.character("+"), .character("=")], .replayFaster, "play faster (×2) / slower (÷2)", footer: "speed"),
        KeyBinding([.character("-"), .character("_")], .replaySlower, "play faster (×2) / slower (÷2)", footer: "speed"),
        KeyBinding([.left], .seekBack, "seek 5 s back / forward", footer: "seek"),
        KeyBinding([.right], .seekForward, "seek 5 s back / forward", footer: "seek"),
        KeyBinding([.character("p")], .togglePlanView, "plan view: the menu on accuracy vs img/s", footer: "plans"),
        KeyBinding([.pageUp, .pageDown], .eventsOlder, "scroll the event log (PgDn: newer)"),
        KeyBinding([.character("?"), .character("h"), .function(1)], .toggleHelp, "this help (Esc, ? or q close it)", footer: "help"),
        KeyBinding([.character("q"), .function(10), .controlC], .quit, "quit", footer: "quit"),
    ])
}
