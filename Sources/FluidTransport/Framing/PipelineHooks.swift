import NIOCore

/// Which link a connection is.
public enum LinkKind: String, Sendable {
    /// Master ↔ Worker: activations and partial logits.
    case peer
    /// Source ↔ node: requests and answers.
    case source
}

/// Seams in the channel pipeline for handlers added by other parts of the project, so that
/// they plug in without touching the node or source code. The pipeline of every
/// connection, socket first:
///
/// ```
/// socket ─ ByteCounter ─ [linkShaper (peer link only)] ─ [authenticator] ─ WireFrameDecoder/Encoder ─ connection handler
/// ```
///
/// - `authenticator`: runs before any frame is decoded: TLS 1.3 with the process's role
///   certificate (`useTLS`, docs/security.md). It sees raw bytes both ways; it must not pass
///   inbound bytes on until the peer is authenticated, and closes the channel if it fails.
///   It may send `PeerCertified` up the pipeline: the role the peer proved.
/// - `linkShaper`: emulates a slow link on the node-to-node connection (latency and
///   bandwidth, issue 5 item 8). Raw bytes both ways; installed only for `LinkKind.peer`.
///
/// Both are factories: a fresh handler per connection. Nil adds nothing.
public struct PipelineHooks: Sendable {
    public var authenticator: (@Sendable (LinkKind, _ isInitiator: Bool) throws -> [ChannelHandler])?
    public var linkShaper: (@Sendable () -> [ChannelHandler])?
    /// Set by `useTLS`: every connection must prove a role with a certificate before its
    /// first frame counts.
    public internal(set) var tls: ClusterTLS?

    public init(authenticator: (@Sendable (LinkKind, Bool) throws -> [ChannelHandler])? = nil,
                linkShaper: (@Sendable () -> [ChannelHandler])? = nil) {
        self.authenticator = authenticator
        self.linkShaper = linkShaper
    }

    /// Adds counter, hooks and codec to `channel`'s pipeline; `handler` last. Called on the
    /// channel's event loop (a channel initializer), so the handlers never cross threads.
    public func install(on channel: Channel, link: LinkKind, isInitiator: Bool, counter: ByteCounter,
                        handler: ChannelHandler) throws {
        var handlers: [ChannelHandler] = [counter]
        if link == .peer, let shaper = linkShaper { handlers += shaper() }
        if let auth = authenticator { handlers += try auth(link, isInitiator) }
        handlers += [ByteToMessageHandler(WireFrameDecoder()), WireOutboundHandler(), handler]
        try channel.pipeline.syncOperations.addHandlers(handlers)
    }
}
