import FluidCluster
import NIOCore

/// One framed TCP connection as its owner (a node, or the source) sees it: the channel,
/// its byte counter, the peer's hello once the handshake completed. All of it lives on
/// the owner's one event loop. `NodeConnection` and `SourceLink` add what their owner
/// keys it by.
class WireLink {
    let channel: Channel
    let counter: ByteCounter
    var openedAt: UInt64
    /// Set once the handshake completed.
    var hello: Hello?
    /// Set when the owner closes it: nothing more is sent.
    var closing = false

    init(channel: Channel, counter: ByteCounter, openedAt: UInt64) {
        self.channel = channel; self.counter = counter; self.openedAt = openedAt
    }

    func send(_ m: Message) {
        guard !closing else { return }
        channel.writeAndFlush(WireOutbound.message(m), promise: nil)
    }

    /// A frame encoded elsewhere (see `JointFrame`).
    func send(frame: ByteBuffer) {
        guard !closing else { return }
        channel.writeAndFlush(WireOutbound.frame(frame), promise: nil)
    }
}

/// Last in the pipeline: hands the link's decoded messages and errors to its owner
/// (closures that hold the owner weakly: the pipeline must not keep it alive).
final class WireLinkHandler<Link: WireLink>: ChannelInboundHandler {
    typealias InboundIn = Message

    var link: Link?
    let onMessage: (Message, Link) -> Void
    /// The link is nil when the error comes before the pipeline was complete.
    let onError: (Error, Link?, ChannelHandlerContext) -> Void

    init(onMessage: @escaping (Message, Link) -> Void, onError: @escaping (Error, Link?, ChannelHandlerContext) -> Void) {
        self.onMessage = onMessage; self.onError = onError
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let l = link else { return }
        onMessage(unwrapInboundIn(data), l)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        onError(error, link, context)
    }
}

extension PipelineHooks {
    /// Builds `channel`'s pipeline (counter, hooks, codec, a `WireLinkHandler`) and, once it
    /// is in place, the link from `make`, which the handler then feeds. Used by the node's
    /// server, its dial to the peer and the source's dials.
    func installLink<Link: WireLink>(on channel: Channel, kind: LinkKind, isInitiator: Bool,
                                     onMessage: @escaping (Message, Link) -> Void,
                                     onError: @escaping (Error, Link?, ChannelHandlerContext) -> Void,
                                     make: @escaping (ByteCounter) -> Link) -> EventLoopFuture<Link> {
        let counter = ByteCounter()
        let handler = WireLinkHandler<Link>(onMessage: onMessage, onError: onError)
        return install(on: channel, link: kind, isInitiator: isInitiator, counter: counter, handler: handler).map {
            let l = make(counter)
            handler.link = l
            return l
        }
    }
}
