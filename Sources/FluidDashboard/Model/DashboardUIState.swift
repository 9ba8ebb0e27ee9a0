/// What the viewer, not the cluster, decides: help open, display paused, read-only.
public struct DashboardUIState: Equatable, Sendable {
    public var keyTable: KeyTable
    public var helpVisible: Bool
    public var paused: Bool
    /// `--read-only`: fault keys are hidden from the footer and ignored.
    public var readOnly: Bool
    /// Header title: "Fluid demo", "replay session.jsonl", …
    public var title: String
    /// A transient note (last action, an error) shown on the status line.
    public var message: String?

    public init(keyTable: KeyTable = .live, helpVisible: Bool = false, paused: Bool = false,
                readOnly: Bool = false, title: String = "Fluid", message: String? = nil) {
        self.keyTable = keyTable
        self.helpVisible = helpVisible
        self.paused = paused
        self.readOnly = readOnly
        self.title = title
        self.message = message
    }

    /// Applies the UI part of an action; returns true when the dashboard should quit.
    public mutating func apply(_ action: DashboardAction) -> Bool {
        switch action {
        case .toggleHelp: helpVisible.toggle()
        case .togglePause: paused.toggle()
        case .quit: return true
        default: break
        }
        return false
    }
}
