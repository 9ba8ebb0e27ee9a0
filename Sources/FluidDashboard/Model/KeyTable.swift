/// One row of the key table: the single source for key handling, the footer and
/// the help overlay (htop `Action.c`, k9s `KeyAction{…, Dangerous}`).
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

    /// The live demo's keys (docs/dashboard.md).
    public static let live = KeyTable([
        KeyBinding([.character("m")], .crashOrRevive(.master),
                   "crash the Master (SIGKILL) if up, revive it if down", footer: "crash", dangerous: true),
        KeyBinding([.character("w")], .crashOrRevive(.worker),
                   "crash the Worker (SIGKILL) if up, revive it if down", footer: "crash", dangerous: true),
        KeyBinding([.character("M")], .hangOrResume(.master),
                   "hang the Master (SIGSTOP), or resume it (SIGCONT)", footer: "hang", dangerous: true),
        KeyBinding([.character("W")], .hangOrResume(.worker),
                   "hang the Worker (SIGSTOP), or resume it (SIGCONT)", footer: "hang", dangerous: true),
        KeyBinding([.character("s")], .slowOrUnslow(.worker),
                   "slow the Worker 4× (SIGSTOP duty cycle), or end it", dangerous: true),
        KeyBinding([.character("l")], .cutOrHealLink,
                   "cut the Master ↔ Worker link, or heal it", footer: "link", dangerous: true),
        KeyBinding([.character("t")], .toggleMode, "toggle High-Accuracy ↔ High-Throughput", footer: "HA/HT"),
        KeyBinding([.character("a")], .autoMode, "auto mode: pick HA or HT for the offered rate", footer: "auto"),
        KeyBinding([.character("1")], .selectKind(.static), "run Static (nodes reload that weight file)", footer: "kind"),
        KeyBinding([.character("2")], .selectKind(.dynamic), "run Dynamic (nodes reload that weight file)", footer: "kind"),
        KeyBinding([.character("3")], .selectKind(.fluid), "run Fluid (nodes reload that weight file)", footer: "kind"),
        KeyBinding([.character("+"), .character("=")], .rateUp, "raise the offered input rate", footer: "rate"),
        KeyBinding([.character("-"), .character("_")], .rateDown, "lower the offered input rate", footer: "rate"),
        KeyBinding([.character("r")], .toggleRecording, "start / stop recording (.jsonl + .cast)", footer: "rec"),
        KeyBinding([.character(" ")], .togglePause, "pause the display (the cluster keeps running)", footer: "pause"),
        KeyBinding([.pageUp, .pageDown], .eventsOlder, "scroll the event log (PgDn back to the newest)"),
        KeyBinding([.character("?"), .character("h"), .function(1)], .toggleHelp, "this help (Esc, ? or q close it)", footer: "help"),
        KeyBinding([.character("q"), .function(10), .controlC], .quit, "quit: stop the nodes, restore the terminal", footer: "quit"),
    ])

    /// `fluid replay`: play, pause, speed, seek, quit.
    public static let replay = KeyTable([
        KeyBinding([.character(" ")], .togglePause, "pause / resume playback", footer: "pause"),
        KeyBinding([.character("+"), .character("=")], .replayFaster, "play faster (×2)", footer: "speed"),
        KeyBinding([.character("-"), .character("_")], .replaySlower, "play slower (÷2)", footer: "speed"),
        KeyBinding([.left], .seekBack, "seek 5 s back", footer: "seek"),
        KeyBinding([.right], .seekForward, "seek 5 s forward", footer: "seek"),
        KeyBinding([.pageUp, .pageDown], .eventsOlder, "scroll the event log (PgDn back to the newest)"),
        KeyBinding([.character("?"), .character("h"), .function(1)], .toggleHelp, "this help (Esc, ? or q close it)", footer: "help"),
        KeyBinding([.character("q"), .function(10), .controlC], .quit, "quit", footer: "quit"),
    ])
}
