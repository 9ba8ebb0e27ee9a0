import Crypto
import Logging
import NIOCore

/// Timing of the auth exchange.
public struct AuthSettings: Sendable {
    /// A connection that has not completed the exchange by then is closed. Loopback and a
    /// LAN need a few ms; 2 s leaves room for a slow emulated link and still frees a slot
    /// held by a client that connects and says nothing.
    public var timeout: TimeAmount = .seconds(2)

    public init() {}
}

/// The NIO shell of `AuthExchange`: raw bytes both ways, between the socket-side handlers
/// (byte counter, link shaper) and the frame decoder (see `PipelineHooks`).
///
/// Until the peer is authenticated no inbound byte goes further up the pipeline and every
/// outbound write from above is held (in order, with its promise); on success the held
/// writes go out after this side's proof and the peer's bytes that followed its proof are
/// passed on. On failure (wrong secret, garbage, wrong version, timeout, close) the reason
/// is logged with the peer's address and the channel is closed; held writes fail.
public final class AuthHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private var exchange: AuthExchange
    private let link: LinkKind
    private let isInitiator: Bool
    private let settings: AuthSettings
    private let logger: Logger
    private var started = false
    private var finished = false
    private var closingLocally = false
    private var held: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var timer: Scheduled<Void>?
    /// Called on the channel's loop with the reason when the exchange fails (tests, metrics).
    public var onFailure: ((AuthFailure) -> Void)?
    /// Called on the channel's loop once the peer is authenticated.
    public var onAuthenticated: (() -> Void)?

    public init(secret: SharedSecret, link: LinkKind, isInitiator: Bool, settings: AuthSettings = AuthSettings(),
                logger: Logger = Logger(label: "fluid.auth")) {
        exchange = AuthExchange(key: secret.key, initiator: isInitiator)
        self.link = link
        self.isInitiator = isInitiator
        self.settings = settings
        self.logger = logger
    }

    public var isAuthenticated: Bool { exchange.isAuthenticated }

    // MARK: start: as soon as the connection is up, whichever event says so first

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        let ms = Int(settings.timeout.nanoseconds / 1_000_000)
        timer = context.eventLoop.scheduleTask(in: settings.timeout) { [weak self] in
            self?.fail(.timeout(milliseconds: ms), context: context)
        }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: exchange.opening)), promise: nil)
    }

    // MARK: inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if exchange.isAuthenticated { return context.fireChannelRead(data) }
        guard !finished else { return }     // failed: drop what still arrives before the close
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        for step in exchange.receive(bytes) {
            switch step {
            case .needMore:
                break
            case .send(let proof):
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: proof)), promise: nil)
            case .authenticated(let leftover):
                succeed(context: context, leftover: leftover)
            case .failed(let f):
                fail(f, context: context)
            }
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if !exchange.isAuthenticated, !finished {
            if closingLocally || !started {
                finish(context: context, error: ChannelError.ioOnClosedChannel)
            } else {
                fail(.closedDuringExchange(received: exchange.received), context: context)
            }
        }
        context.fireChannelInactive()
    }

    // MARK: outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard exchange.isAuthenticated else {
            guard !finished else { promise?.fail(ChannelError.ioOnClosedChannel); return }
            held.append((unwrapOutboundIn(data), promise))
            return
        }
        context.write(data, promise: promise)
    }

    public func flush(context: ChannelHandlerContext) {
        // Held writes are flushed on success; a flush now would only push the auth frames,
        // which are flushed as they are written.
        if exchange.isAuthenticated { context.flush() }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        closingLocally = true
        context.close(mode: mode, promise: promise)
    }

    // MARK: outcome

    private func succeed(context: ChannelHandlerContext, leftover: [UInt8]) {
        finished = true
        timer?.cancel()
        logger.debug("authenticated", metadata: ["peer": "\(peerName(context))", "conn": "\(connectionLabel)"])
        let writes = held
        held = []
        for (buffer, promise) in writes { context.write(wrapOutboundOut(buffer), promise: promise) }
        context.flush()
        onAuthenticated?()
        if !leftover.isEmpty {
            context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: leftover)))
        }
    }

    private func fail(_ f: AuthFailure, context: ChannelHandlerContext) {
        guard !finished, !exchange.isAuthenticated else { return }
        logger.warning("closing connection: authentication failed: \(f)",
                       metadata: ["from": "\(peerName(context))", "conn": "\(connectionLabel)"])
        onFailure?(f)
        finish(context: context, error: f)
        closingLocally = true
        context.close(promise: nil)
    }

    private func finish(context: ChannelHandlerContext, error: Error) {
        finished = true
        timer?.cancel()
        let writes = held
        held = []
        for (_, promise) in writes { promise?.fail(error) }
    }

    /// An accepting node learns whether a connection is a source or its peer only from the
    /// hello that follows the exchange, so only the dialing side names the link.
    private var connectionLabel: String { isInitiator ? "dialed \(link.rawValue) link" : "accepted" }

    private func peerName(_ context: ChannelHandlerContext) -> String {
        context.channel.remoteAddress.map { "\($0)" } ?? "unknown peer"
    }
}
