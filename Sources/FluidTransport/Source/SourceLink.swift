import FluidCluster
import FluidModel
import NIOCore

/// The source's connection to one node.
final class SourceLink: WireLink {
    let role: Role
    /// Node counters from its last heartbeat.
    var lastHeartbeat: Heartbeat?
    /// Bytes read at the last tick (any progress counts as life).
    var bytesSeen: UInt64 = 0

    init(role: Role, channel: Channel, counter: ByteCounter, openedAt: UInt64) {
        self.role = role
        super.init(channel: channel, counter: counter, openedAt: openedAt)
    }
}
