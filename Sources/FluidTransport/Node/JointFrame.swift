import FluidCluster
import FluidModel
import NIOCore

/// A `jointActivations` frame built on the compute thread: header and fields, then the own
/// activations packed by the engine straight into the frame buffer. Byte-identical to
/// `Message.jointActivations(...).encodedFrame()`, without the [Float] array and the
/// encoder's copy of it on the event loop (~800 KB per batch of 128 after conv1).
public enum JointFrame {
    static let allocator = ByteBufferAllocator()

    /// Frame of `e`'s own activations after layer `l` (1 or 2) for joint batch `batch`.
    public static func activations(batch: UInt64, layer l: Int, engine e: JointEngine) -> ByteBuffer {
        let bytes = e.activationCount(after: l, channels: e.ownChannels.count) * 4
        var header: [UInt8] = []
        header.reserveCapacity(WireFormat.headerLength)
        FrameHeader.write(type: .jointActivations, length: 8 + 1 + 4 + bytes, into: &header)
        var buf = allocator.buffer(capacity: header.count + 13 + bytes)
        buf.writeBytes(header)
        buf.writeInteger(batch)
        buf.writeInteger(UInt8(truncatingIfNeeded: l))
        buf.writeInteger(UInt32(truncatingIfNeeded: bytes / 4))
        if bytes > 0 {
            buf.writeWithUnsafeMutableBytes(minimumWritableBytes: bytes) { raw in
                raw.baseAddress.map { e.packOwnActivations(after: l, toBytes: $0) } ?? 0
            }
        }
        return buf
    }
}
