import FluidVocabulary

/// What the user last asked a device to be, or what the screen showed of it.
public enum DeviceIntent: String, Equatable, Sendable {
    case up, killed, hung
}

/// A fault command for the cluster (carried out with real signals by the driver).
public enum DeviceCommand: Equatable, Sendable {
    case kill(Role), revive(Role), hang(Role), resume(Role)
}

/// Crash/revive and hang/resume keys toggle from what the user last asked for while
/// that request may still be in progress, else from what the screen shows. `m w m w`
/// pressed faster than the processes die is then kill, kill, revive, revive — four
/// toggles ending with both devices up — not four kills read off a stale screen.
/// The intents also survive a kind switch (which restarts both processes): a device
/// the user killed is killed again afterwards.
public struct FaultIntents: Sendable {
    /// Seconds a request stands in for what the screen shows (a kill lands in
    /// milliseconds; a revived node takes about a second to load its weights).
    public static let settle = 2.0

    public private(set) var asked: [Role: DeviceIntent] = [:]
    private var askedAt: [Role: Double] = [:]

    public init() {}

    /// The state a toggle starts from.
    public func base(_ r: Role, observed: DeviceIntent, now: Double) -> DeviceIntent {
        if let a = asked[r], let at = askedAt[r], now - at < Self.settle { return a }
        return observed
    }

    /// `m` / `w`: kill a device that is (or was asked to be) running, else revive it.
    public mutating func crashOrRevive(_ r: Role, observed: DeviceIntent, now: Double) -> DeviceCommand {
        let next: DeviceIntent = base(r, observed: observed, now: now) == .killed ? .up : .killed
        record(r, next, now)
        return next == .up ? .revive(r) : .kill(r)
    }

    /// `M` / `W`: hang a running device, resume a hung one; a dead one cannot hang
    /// (nil, with the reason for the status line).
    public mutating func hangOrResume(_ r: Role, observed: DeviceIntent, now: Double) -> (DeviceCommand?, String?) {
        switch base(r, observed: observed, now: now) {
        case .killed:
            return (nil, "\(r.title) is not running: \(r == .master ? "m" : "w") revives it")
        case .hung:
            record(r, .up, now)
            return (.resume(r), nil)
        case .up:
            record(r, .hung, now)
            return (.hang(r), nil)
        }
    }

    /// After both processes were restarted (a kind switch): the faults the user had
    /// injected, to inject again.
    public func reapply() -> [DeviceCommand] {
        Role.allCases.compactMap { r in
            switch asked[r] {
            case .killed?: return .kill(r)
            case .hung?: return .hang(r)
            default: return nil
            }
        }
    }

    private mutating func record(_ r: Role, _ i: DeviceIntent, _ now: Double) {
        asked[r] = i
        askedAt[r] = now
    }
}

/// Kind switches restart both nodes (seconds). A switch asked for meanwhile is queued,
/// never dropped: the last one asked for wins, so `2 3` pressed fast ends on Fluid.
public struct KindQueue: Sendable {
    /// The kind the nodes are restarting on, nil when idle.
    public private(set) var switching: ModelKind?
    /// The kind to switch to once the current switch is done.
    public private(set) var queued: ModelKind?

    public init() {}

    public enum Outcome: Equatable, Sendable {
        /// Start switching now.
        case start(ModelKind)
        /// Remembered: starts when the current switch ends.
        case queued(ModelKind)
        /// Already running (or about to): nothing to do.
        case unchanged
    }

    public mutating func request(_ k: ModelKind, current: ModelKind) -> Outcome {
        if let s = switching {
            queued = k == s ? nil : k
            return k == s ? .unchanged : .queued(k)
        }
        guard k != current else { return .unchanged }
        switching = k
        return .start(k)
    }

    /// The switch ended (the cluster now runs `current`): the next kind to start, if any.
    public mutating func finished(current: ModelKind) -> ModelKind? {
        switching = nil
        guard let q = queued else { return nil }
        queued = nil
        guard q != current else { return nil }
        switching = q
        return q
    }

    public var busy: Bool { switching != nil }

    /// "restarting nodes on dynamic… then fluid".
    public var status: String? {
        guard let s = switching else { return nil }
        return "restarting nodes on \(s.rawValue)…" + (queued.map { " then \($0.rawValue)" } ?? "")
    }
}
