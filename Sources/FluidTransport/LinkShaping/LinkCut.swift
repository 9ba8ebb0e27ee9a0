import NIOCore

/// A partition switch for one link (or every connection of one kind). Lives on the owner's
/// event loop; the handlers of every connection it was given to read it.
final class LinkCut {
    var isCut = false
}

/// While its `LinkCut` is on, drops every byte both ways without closing the connection:
/// what a partitioned network does (a cable pulled, a Wi-Fi link gone), as opposed to a
/// dead process, whose socket closes. Placed first in the pipeline (next to the socket), so
/// nothing above it — byte counters, heartbeats, frames — sees the dropped bytes. Reading
/// goes on and is discarded, so the peer's kernel buffers do not fill and no back-pressure
/// gives the partition away.
final class LinkCutHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let cut: LinkCut
    init(_ cut: LinkCut) { self.cut = cut }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !cut.isCut else { return }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !cut.isCut else { promise?.succeed(()); return }
        context.write(data, promise: promise)
    }
}
