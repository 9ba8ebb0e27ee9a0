/// Incremental frame parser over a byte stream, independent of NIO, so the same code is
/// tested on plain byte arrays and used by the channel handler.
///
/// Feed bytes with `append`, then call `next()` until it returns nil. Any error is final:
/// the connection must be closed (a stream that lost its framing cannot be resynchronised).
public struct FrameDecoder {
    var buffer: [UInt8] = []
    var start = 0

    public init() {}

    public mutating func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }
    public mutating func append(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }

    /// Bytes received but not yet consumed by a frame.
    public var pending: Int { buffer.count - start }

    /// The next complete message, nil when more bytes are needed.
    public mutating func next() throws -> Message? {
        let header: FrameHeader? = try buffer.withUnsafeBytes { raw in
            try FrameHeader.parse(UnsafeRawBufferPointer(rebasing: raw[start...]))
        }
        guard let h = header, pending >= WireFormat.headerLength + h.length else { return nil }
        let p = start + WireFormat.headerLength
        let payload = Array(buffer[p..<(p + h.length)])
        start = p + h.length
        if start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        else if start > 1 << 20 { buffer.removeFirst(start); start = 0 }
        return try Message.decode(type: h.type, payload: payload)
    }

    /// Called when the stream ends: throws `truncatedFrame` if a partial frame is left.
    public func finish() throws {
        guard pending > 0 else { return }
        var need = WireFormat.headerLength
        if pending >= WireFormat.headerLength {
            let h = try buffer.withUnsafeBytes { try FrameHeader.parse(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            need += h?.length ?? 0
        }
        throw WireError.truncatedFrame(have: pending, need: need)
    }
}
