import NIOCore

/// A partition switch for one link (or every connection of one kind). Lives on the owner's
/// event loop; the handlers of every connection it was given to read it, and are told when
/// it heals.
package final class LinkCut {
    package init() {}
    package var isCut = false {
        didSet { if oldValue, !isCut { healed() } }
    }
    private var handlers: [Weak] = []

    private struct Weak { weak var handler: LinkCutHandler? }

    func register(_ h: LinkCutHandler) {
        handlers.removeAll { $0.handler == nil }
        handlers.append(Weak(handler: h))
    }

    private func healed() {
        let live = handlers.compactMap(\.handler)
        handlers = live.map { Weak(handler: $0) }
        for h in live { h.release() }
    }
}

/// While its `LinkCut` is on, nothing crosses the connection either way and nothing
/// closes it: what a partitioned network does to a TCP connection (a cable pulled, a Wi-Fi
/// link gone), as opposed to a dead process, whose socket closes. Like TCP, which keeps
/// retransmitting until the connection is given up, the bytes are held, not lost: a cut
/// shorter than the failure detector's timeout delivers them late and in order (a frame is
/// never cut in half, so the stream stays decodable); a longer one makes either side close
/// the connection, which discards them. Placed first in the pipeline (next to the socket),
/// so nothing above it — byte counters, heartbeats, frames — sees held bytes. Reading goes
/// on (into the hold), so no back-pressure gives the partition away.
package final class LinkCutHandler: ChannelDuplexHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer
    package typealias OutboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    let cut: LinkCut
    private var context: ChannelHandlerContext?
    private var heldIn: [NIOAny] = []
    private var heldOut: [(data: NIOAny, promise: EventLoopPromise<Void>?)] = []

    package init(_ cut: LinkCut) { self.cut = cut }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        cut.register(self)
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        failHeld()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !cut.isCut, heldIn.isEmpty else { heldIn.append(data); return }
        context.fireChannelRead(data)
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        guard !cut.isCut else { return }
        context.fireChannelReadComplete()
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !cut.isCut, heldOut.isEmpty else { heldOut.append((data, promise)); return }
        context.write(data, promise: promise)
    }

    package func flush(context: ChannelHandlerContext) {
        guard !cut.isCut else { return }
        context.flush()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        failHeld()
        context.fireChannelInactive()
    }

    /// The link healed: what was held goes through, in order.
    func release() {
        guard let context, !cut.isCut else { return }
        let out = heldOut, inbound = heldIn
        heldOut.removeAll(); heldIn.removeAll()
        for w in out { context.write(w.data, promise: w.promise) }
        if !out.isEmpty { context.flush() }
        for r in inbound { context.fireChannelRead(r) }
        if !inbound.isEmpty { context.fireChannelReadComplete() }
    }

    private func failHeld() {
        let out = heldOut
        heldOut.removeAll(); heldIn.removeAll()
        for w in out { w.promise?.fail(ChannelError.ioOnClosedChannel) }
    }
}
