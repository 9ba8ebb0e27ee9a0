import FluidCluster
import NIOCore

/// One TCP connection of a node (to its peer device or to a source).
final class NodeConnection {
    let id: Int
    let channel: Channel
    let counter: ByteCounter
    /// True when this node dialed it (the Master dials the Worker).
    let dialed: Bool
    let openedAt: UInt64
    /// Set once the handshake completed.
    var hello: Hello?
    var closing = false

    init(id: Int, channel: Channel, counter: ByteCounter, dialed: Bool, openedAt: UInt64) {
        self.id = id; self.channel = channel; self.counter = counter; self.dialed = dialed; self.openedAt = openedAt
    }

    var isPeer: Bool { hello.map { $0.role != .source } ?? false }
    var isSource: Bool { hello?.role == .source }
    var name: String { hello.map { "\($0.role)(\($0.nodeID))" } ?? "\(channel.remoteAddress.map { "\($0)" } ?? "?") (no handshake yet)" }

    func send(_ m: Message) {
        guard !closing else { return }
        channel.writeAndFlush(m, promise: nil)
    }
}

/// Passes a connection's messages and lifecycle to the node (all on the node's one loop).
final class NodeChannelHandler: ChannelInboundHandler {
    typealias InboundIn = Message

    weak var server: NodeServer?
    var connection: NodeConnection?

    init(server: NodeServer) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let c = connection else { return }
        server?.received(unwrapInboundIn(data), on: c)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let c = connection { server?.failed(c, error: error) } else { context.close(promise: nil) }
    }
}
