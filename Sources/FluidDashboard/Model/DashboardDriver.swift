/// What the dashboard loop drives: the live cluster (`fluid demo`) and a session
/// log replay (`fluid replay`) both implement it, so both show the same screen.
///
/// Called from the loop's thread only, a few times per second; `snapshot()` must
/// not block on the network (return the last known state).
public protocol DashboardDriver: AnyObject {
    /// The current state to draw.
    func snapshot() -> DashboardSnapshot
    /// Carries out an action from the key table. UI actions (help, pause of the
    /// display, quit) are handled by the loop too; ignore what does not apply.
    func perform(_ action: DashboardAction)
    /// Starts writing the session log (JSON Lines, docs/cli.md) to `path`, or stops
    /// when nil. A replay has nothing to record and ignores it.
    func setSessionLog(path: String?) throws
    /// Stops everything the driver started (the node processes). Idempotent.
    func shutdown()
    /// Non-nil when the driver cannot go on (e.g. a node died and could not be
    /// restarted): the loop quits and prints it once the terminal is restored.
    var failure: String? { get }
    /// A note for the status line (a refused or queued key, a failed switch), taken once.
    func takeMessage() -> String?
}

extension DashboardDriver {
    public func setSessionLog(path: String?) throws {}
    public var failure: String? { nil }
    public func takeMessage() -> String? { nil }
}
