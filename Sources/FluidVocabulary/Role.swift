/// A device of the two-device cluster and the weights it holds (docs/model.md).
public enum Role: String, CaseIterable, Codable, Sendable {
    case master, worker

    /// Output rows of every layer (and fc columns of these channels' features) this device holds.
    public var ownedChannels: Range<Int> {
        switch self {
        case .master: return 0..<8
        case .worker: return 8..<16
        }
    }

    public var peer: Role { self == .master ? .worker : .master }

    /// "Master" / "Worker", as the dashboard and messages spell it.
    public var title: String { self == .master ? "Master" : "Worker" }
}

/// A device's liveness as the source sees it (docs/cli.md, session log `state`).
public enum DeviceState: String, CaseIterable, Sendable, Codable {
    case up, down, hung

    /// Up and answering (a hung process keeps its socket but serves nothing).
    public var isLive: Bool { self == .up }
}
