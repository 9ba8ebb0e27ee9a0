import FluidCluster
import NIOCore

/// What one node grants the connections it accepts, so that nothing a client does can
/// exhaust its descriptors or memory (issue 12, docs/security.md). With the defaults a
/// node's resident memory stays under ~300 MB whatever its clients send.
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections a node holds at once (its peer, sources, and connections still in their
    /// handshake), count. A connection beyond it is closed at accept with a log line. 64
    /// is far above a real cluster's 3 and far below the common descriptor limit of 1024.
    public var maxConnections = 64
    /// A source connection silent this long after its hello is closed. A real source
    /// heartbeats every 50 ms (`ClusterSettings.heartbeatInterval`), so 2 s frees a slot
    /// held by a client that says hello and nothing more, without touching a busy one.
    public var idleTimeout: Duration = .seconds(2)
    /// Images a source connection may have in flight (sent, not yet answered), count. At
    /// the limit the node stops reading that connection (TCP backpressure) and answers a
    /// request that still arrives with an explicit `reject`, which the source re-routes.
    /// 2048 = 8 frames × the largest batch (`Message.maxBatch`); 64 connections × 2048 ×
    /// 784 B bound queued images at ~100 MB.
    public var maxImagesInFlight = 8 * Message.maxBatch
    /// Bytes waiting to be written to a source connection beyond which the node stops
    /// writing to it and closes it: a client that does not read its answers is
    /// disconnected, not buffered. 8 MiB holds ~900 k answers.
    public var maxUnreadBytes = 8 << 20

    public init() {}

    /// The watermarks that make `Channel.isWritable` turn false at `maxUnreadBytes`.
    var writeWaterMark: ChannelOptions.Types.WriteBufferWaterMark {
        .init(low: maxUnreadBytes / 2, high: maxUnreadBytes)
    }
}
