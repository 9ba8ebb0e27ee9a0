import FluidCluster
import NIOCore

/// One TCP connection of a node (to its peer device or to a source).
final class NodeConnection: WireLink {
    let id: Int
    /// True when this node dialed it (the Master dials the Worker).
    let dialed: Bool

    init(id: Int, channel: Channel, counter: ByteCounter, dialed: Bool, openedAt: UInt64) {
        self.id = id; self.dialed = dialed
        super.init(channel: channel, counter: counter, openedAt: openedAt)
    }

    var isPeer: Bool { hello.map { $0.role != .source } ?? false }
    var isSource: Bool { hello?.role == .source }
    var name: String { hello.map { "\($0.role)(\($0.nodeID))" } ?? "\(channel.remoteAddress.map { "\($0)" } ?? "?") (no handshake yet)" }
}
