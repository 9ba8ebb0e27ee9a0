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
    /// The role the peer's TLS certificate proved (nil without TLS). With TLS the hello's
    /// role must equal it (`WireLinkHandler`), so `hello.role` is then the certified role.
    var certifiedRole: PeerRole?
    /// Set when the owner closes it: nothing more is sent.
    var closing = false
    /// When a frame last came in (ns, the owner's clock); an idle source is closed.
    var lastHeard: UInt64

    // Request budget (node side, `ConnectionLimits.maxImagesInFlight`): images admitted and
    // not yet settled by an answer or reject sent back on this link.
    private(set) var imagesInFlight = 0
    var inFlightLimit = Int.max
    private(set) var readingPaused = false
    /// Called when a write leaves more than the channel's high watermark unread (a client
    /// that does not read); the owner closes the link.
    var onUnread: (() -> Void)?

    init(channel: Channel, counter: ByteCounter, openedAt: UInt64) {
        self.channel = channel; self.counter = counter; self.openedAt = openedAt; self.lastHeard = openedAt
    }

    func send(_ m: Message) {
        send(m, settles: true)
    }

    /// `settles`: an answer or reject for admitted images returns them to the budget.
    func send(_ m: Message, settles: Bool) {
        guard !closing else { return }
        if settles {
            switch m {
            case .answer(let a): settle(a.ids.count)
            case .reject(let ids): settle(ids.count)
            default: break
            }
        }
        channel.writeAndFlush(WireOutbound.message(m), promise: nil)
        if !channel.isWritable, let f = onUnread { f() }
    }

    /// Admits `n` more images or returns false (over `inFlightLimit`). At the limit reading
    /// pauses, so the socket buffers and then TCP hold the sender back.
    func admit(_ n: Int) -> Bool {
        guard n <= inFlightLimit - imagesInFlight else { return false }
        imagesInFlight += n
        if imagesInFlight >= inFlightLimit, !readingPaused {
            readingPaused = true
            _ = channel.setOption(ChannelOptions.autoRead, value: false)
        }
        return true
    }

    private func settle(_ n: Int) {
        imagesInFlight = max(0, imagesInFlight - n)
        if readingPaused, imagesInFlight <= inFlightLimit / 2 {
            readingPaused = false
            _ = channel.setOption(ChannelOptions.autoRead, value: true)
        }
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

    var link: Link? { didSet { if let r = certified { link?.certifiedRole = r } } }
    let onMessage: (Message, Link) -> Void
    /// The link is nil when the error comes before the pipeline was complete.
    let onError: (Error, Link?, ChannelHandlerContext) -> Void
    /// TLS is on: no frame counts before the peer's certificate proved a role, and a
    /// hello must name that role.
    let requireCertificate: Bool
    private var certified: PeerRole?

    init(requireCertificate: Bool, onMessage: @escaping (Message, Link) -> Void,
         onError: @escaping (Error, Link?, ChannelHandlerContext) -> Void) {
        self.requireCertificate = requireCertificate; self.onMessage = onMessage; self.onError = onError
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let c = event as? PeerCertified {
            certified = c.role
            link?.certifiedRole = c.role
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let l = link else { return }
        let m = unwrapInboundIn(data)
        if requireCertificate {
            guard let role = certified else {
                return onError(CertificateRoleError.noCertificate, l, context)
            }
            if case .hello(let h) = m, h.role != role {
                return onError(CertificateRoleError.helloRole(claimed: h.role, certified: role), l, context)
            }
        }
        onMessage(m, l)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        onError(error, link, context)
    }
}

extension PipelineHooks {
    /// Builds `channel`'s pipeline (counter, hooks, codec, a `WireLinkHandler`) and, once it
    /// is in place, the link from `make`, which the handler then feeds. Used by the node's
    /// server, its dial to the peer and the source's dials; on the channel's event loop.
    func installLink<Link: WireLink>(on channel: Channel, kind: LinkKind, isInitiator: Bool,
                                     onMessage: @escaping (Message, Link) -> Void,
                                     onError: @escaping (Error, Link?, ChannelHandlerContext) -> Void,
                                     make: (ByteCounter) -> Link) throws -> Link {
        let counter = ByteCounter()
        let handler = WireLinkHandler<Link>(requireCertificate: tls != nil, onMessage: onMessage, onError: onError)
        try install(on: channel, link: kind, isInitiator: isInitiator, counter: counter, handler: handler)
        let l = make(counter)
        handler.link = l
        return l
    }
}

/// A frame that arrived on a TLS connection without the role its certificate proved.
public enum CertificateRoleError: Error, CustomStringConvertible, Equatable {
    case noCertificate
    case helloRole(claimed: PeerRole, certified: PeerRole)

    public var description: String {
        switch self {
        case .noCertificate:
            return "a frame before the peer's certificate proved a role"
        case .helloRole(let claimed, let certified):
            return "hello claims role \(claimed) but the peer's certificate is bound to role \(certified)"
        }
    }
}
