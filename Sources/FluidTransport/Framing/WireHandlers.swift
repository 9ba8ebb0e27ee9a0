import FluidCluster
import NIOCore

/// Frames bytes into `Message`s with FluidCluster's pure `FrameDecoder.frame(in:)`, run on
/// the receive buffer where the bytes lie, so the NIO path and the unit-tested path are the
/// same code (one copy of each bulk field, into the message).
///
/// Magic, version and length are checked from the header alone, before the payload is
/// buffered, so an oversized length is refused without allocating it. Any error is final:
/// `ByteToMessageHandler` reports it via `errorCaught` and the connection handler closes.
public struct WireFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Message

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let found: (message: Message, length: Int)?
        do {
            found = try buffer.withUnsafeReadableBytes { try FrameDecoder.frame(in: $0) }
        } catch {
            // The stream lost its framing: nothing after this can be read.
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            throw error
        }
        guard let (message, length) = found else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: length)
        context.fireChannelRead(wrapInboundOut(message))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        defer { buffer.moveReaderIndex(forwardBy: buffer.readableBytes) }
        try buffer.withUnsafeReadableBytes { try FrameDecoder.finish($0) }
        return .needMoreData
    }
}

/// What a link writes: a message to encode, or a frame already encoded elsewhere (the
/// joint activations, which the compute thread packs straight into a frame buffer so the
/// event loop does not copy ~800 KB per batch again).
public enum WireOutbound: Sendable {
    case message(Message)
    case frame(ByteBuffer)
}

/// `WireOutbound` → frame bytes (`WireFrameEncoder` for messages; frames pass as they are).
public final class WireOutboundHandler: ChannelOutboundHandler {
    public typealias OutboundIn = WireOutbound
    public typealias OutboundOut = ByteBuffer

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .message(let m):
            var out = context.channel.allocator.buffer(capacity: 0)
            do { try WireFrameEncoder().encode(data: m, out: &out) } catch {
                promise?.fail(error)
                return
            }
            context.write(wrapOutboundOut(out), promise: promise)
        case .frame(let b):
            context.write(wrapOutboundOut(b), promise: promise)
        }
    }
}

/// `Message` → frame bytes.
public struct WireFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = Message

    public init() {}

    public func encode(data: Message, out: inout ByteBuffer) throws {
        data.writeFrame(reserve: { out.reserveCapacity(out.writerIndex + $0) }, write: { out.writeBytes($0) })
    }
}

/// Counts bytes each way on a connection (for samples: bytes exchanged). Sits next to the
/// socket so it counts what really crosses the wire.
public final class ByteCounter: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    public private(set) var bytesIn: UInt64 = 0
    public private(set) var bytesOut: UInt64 = 0

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytesIn &+= UInt64(unwrapInboundIn(data).readableBytes)
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        bytesOut &+= UInt64(unwrapOutboundIn(data).readableBytes)
        context.write(data, promise: promise)
    }
}
