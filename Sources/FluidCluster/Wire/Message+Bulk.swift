import FluidModel

/// Copy-free paths for the bulk frames (source requests; joint images, activations, partial
/// logits), which carry hundreds of kilobytes per batch: `encodedFrame()` builds the payload in a
/// ByteWriter and copies it again into the frame, and `decode(type:payload:)` needs the
/// payload as an array and copies the floats out of it once more. These produce exactly
/// the same bytes / messages; every other message goes the general way.
extension Message {
    /// Emits the frame (byte-identical to `encodedFrame()`) as chunks: `reserve` is told the
    /// total length first, then `write` gets the header and small fields, then the bulk
    /// bytes straight from the message's array.
    public func writeFrame(reserve: (Int) -> Void, write: (UnsafeRawBufferPointer) -> Void) {
        var head = ByteWriter(capacity: 32)
        func emit(_ bulk: UnsafeRawBufferPointer) {
            var out: [UInt8] = []
            out.reserveCapacity(WireFormat.headerLength + head.bytes.count)
            FrameHeader.write(type: type, length: head.bytes.count + bulk.count, into: &out)
            out.append(contentsOf: head.bytes)
            reserve(out.count + bulk.count)
            out.withUnsafeBytes(write)
            if bulk.count > 0 { write(bulk) }
        }
        switch self {
        case .request(let r):
            // The source's hot path: ids in the head, the images straight from their array.
            head = ByteWriter(capacity: 4 + 8 * r.ids.count)
            head.u32(UInt32(r.ids.count)); for id in r.ids { head.u64(id) }
            r.images.withUnsafeBytes { emit($0) }
        case .jointImages(let batch, let epoch, let count, let images):
            head.u64(batch); head.u64(epoch); head.u32(UInt32(count))
            images.withUnsafeBytes { emit($0) }
        case .jointActivations(let batch, let layer, let values):
            head.u64(batch); head.u8(UInt8(layer)); head.u32(UInt32(values.count))
            values.withUnsafeBytes { emit($0) }
        case .jointPartial(let batch, let values):
            head.u64(batch); head.u32(UInt32(values.count))
            values.withUnsafeBytes { emit($0) }
        default:
            let frame = encodedFrame()
            reserve(frame.count)
            frame.withUnsafeBytes(write)
        }
    }

    /// Decodes a well-formed joint payload straight from the receive buffer (one copy of
    /// the bulk). Returns nil for any other type and for anything malformed: the caller
    /// then uses `decode(type:payload:)`, which throws the error naming the problem.
    public static func decodeBulk(type typeByte: UInt8, payload p: UnsafeRawBufferPointer) -> Message? {
        guard let type = MessageType(rawValue: typeByte) else { return nil }
        func u32(_ at: Int) -> Int { Int(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
        func u64(_ at: Int) -> UInt64 { UInt64(bigEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        func floats(at: Int, count n: Int) -> [Float] {
            [Float](unsafeUninitializedCapacity: n) { dst, done in
                if n > 0, let d = dst.baseAddress, let s = p.baseAddress {
                    UnsafeMutableRawPointer(d).copyMemory(from: s + at, byteCount: n * 4)
                }
                done = n
            }
        }
        switch type {
        case .request, .standaloneRequest:
            guard p.count >= 4 else { return nil }
            let n = u32(0)
            guard n <= maxBatch, p.count == 4 + n * 8 + n * CNN.imagePixels else { return nil }
            let ids = [UInt64](unsafeUninitializedCapacity: n) { dst, done in
                for k in 0..<n { dst[k] = u64(4 + 8 * k) }
                done = n
            }
            return .request(RequestBatch(ids: ids, images: Array(UnsafeRawBufferPointer(rebasing: p[(4 + 8 * n)...])),
                                        standalone: type == .standaloneRequest))
        case .jointImages:
            guard p.count >= 20 else { return nil }
            let n = u32(16)
            guard n <= maxBatch, p.count == 20 + n * CNN.imagePixels, u64(8) <= WireFormat.maxEpoch else { return nil }
            return .jointImages(batch: u64(0), epoch: u64(8), count: n,
                                images: Array(UnsafeRawBufferPointer(rebasing: p[20...])))
        case .jointActivations:
            guard p.count >= 13 else { return nil }
            let layer = Int(p[8]), n = u32(9)
            guard layer == 1 || layer == 2, p.count == 13 + n * 4 else { return nil }
            return .jointActivations(batch: u64(0), layer: layer, values: floats(at: 13, count: n))
        case .jointPartial:
            guard p.count >= 12 else { return nil }
            let n = u32(8)
            guard n <= maxBatch * CNN.classes, p.count == 12 + n * 4, n % CNN.classes == 0 else { return nil }
            return .jointPartial(batch: u64(0), values: floats(at: 12, count: n))
        default:
            return nil
        }
    }
}
