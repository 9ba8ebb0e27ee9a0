import Logging
import NIOCore
import NIOPosix

/// `fluid node`: one device of the cluster, as a handle any thread or task may hold.
///
/// The node's state lives on its event loop (`NodeServer`); this handle reaches it only
/// through a `NIOLoopBoundBox`, so the compiler checks that nothing else touches it.
///
/// ```swift
/// let node = try FluidNode(config: config, logger: logger)
/// try await node.start()   // listening; the Master dials the Worker
/// try await node.run()     // until the listening socket closes
/// ```
public final class FluidNode: Sendable {
    let group: MultiThreadedEventLoopGroup
    let computeGroup: MultiThreadedEventLoopGroup
    let loop: EventLoop
    let server: NIOLoopBoundBox<NodeServer>

    /// Loads the weight file (only this role's rows). Throws `NodeError` naming the problem.
    public init(config: NodeConfig, logger: Logger) throws {
        let s = try NodeServer(config: config, logger: logger)
        group = s.group
        computeGroup = s.computeGroup
        loop = s.loop
        server = .makeBoxSendingValue(s, eventLoop: s.loop)
    }

    /// Binds the listen address and starts the timers (and, on the Master, dialing).
    public func start() async throws {
        let server = self.server
        try await loop.flatSubmit { server.value.start() }.get()
    }

    /// Returns when the listening socket closes (`shutdown`).
    public func run() async throws {
        let server = self.server, loop = self.loop
        try await loop.flatSubmit { server.value.serverChannel?.closeFuture ?? loop.makeSucceededVoidFuture() }.get()
    }

    public func shutdown() async {
        let server = self.server, loop = self.loop
        try? await loop.flatSubmit { server.value.serverChannel?.close() ?? loop.makeSucceededVoidFuture() }.get()
        try? await computeGroup.shutdownGracefully()
        try? await group.shutdownGracefully()
    }
}
