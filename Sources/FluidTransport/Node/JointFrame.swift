import FluidCluster
import FluidModel
import NIOCore

/// A `jointActivations` frame built on the compute thread: the codec's header and fields
/// (`Message.jointActivationsHead`), then the own activations packed by the engine straight
/// into the frame buffer, without a [Float] array and the encoder's copy of it on the event
/// loop (~800 KB per batch of 128 after conv1).
package enum JointFrame {
    static let allocator = ByteBufferAllocator()

    /// Frame of `e`'s own activations after layer `l` (1 or 2) for joint batch `batch`.
    package static func activations(batch: UInt64, layer l: Int, engine e: JointEngine) -> ByteBuffer {
        let floats = e.activationCount(after: l, channels: e.ownChannels.count), bytes = floats * 4
        let head = Message.jointActivationsHead(batch: batch, layer: l, floats: floats)
        var buf = allocator.buffer(capacity: head.count + bytes)
        buf.writeBytes(head)
        if bytes > 0 {
            buf.writeWithUnsafeMutableBytes(minimumWritableBytes: bytes) { raw in
                raw.baseAddress.map { e.packOwnActivations(after: l, toBytes: $0) } ?? 0
            }
        }
        return buf
    }
}
