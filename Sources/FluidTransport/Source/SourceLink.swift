import FluidCluster
import FluidModel
import NIOCore

/// The source's connection to one node.
final class SourceLink {
    let role: Role
    let channel: Channel
    let counter: ByteCounter
    var openedAt: UInt64
    /// The node's hello, once the handshake completed.
    var hello: Hello?
    var closing = false
    /// Node counters from its last heartbeat.
    var lastHeartbeat: Heartbeat?

    init(role: Role, channel: Channel, counter: ByteCounter, openedAt: UInt64) {
        self.role = role; self.channel = channel; self.counter = counter; self.openedAt = openedAt
    }

    func send(_ m: Message) {
        guard !closing else { return }
        channel.writeAndFlush(m, promise: nil)
    }
}

/// Passes a node's messages to the controller (on the controller's loop).
final class SourceChannelHandler: ChannelInboundHandler {
    typealias InboundIn = Message
    weak var controller: ClusterController?
    var link: SourceLink?

    init(controller: ClusterController) { self.controller = controller }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let l = link else { return }
        controller?.received(unwrapInboundIn(data), on: l)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let l = link { controller?.linkClosed(l, reason: "\(error)") }
        context.close(promise: nil)
    }
}
