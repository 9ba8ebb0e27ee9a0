/// Incremental frame parser over a byte stream, independent of NIO: `FrameDecoder.frame(in:)`
/// is the one framing step, which the NIO handler (`WireFrameDecoder`) runs on its receive
/// buffer and this type runs on a plain array (tests, raw clients).
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
        let found = try buffer.withUnsafeBytes { try Self.frame(in: UnsafeRawBufferPointer(rebasing: $0[start...])) }
        guard let (message, length) = found else { return nil }
        start += length
        if start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        else if start > 1 << 20 { buffer.removeFirst(start); start = 0 }
        return message
    }

    /// Called when the stream ends: throws `truncatedFrame` if a partial frame is left.
    public func finish() throws {
        try buffer.withUnsafeBytes { try Self.finish(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    /// The first frame of `bytes`, decoded, and the bytes it spans; nil while it is
    /// incomplete. Magic, version and length are checked from the 8-byte header alone, so an
    /// oversized length is refused before its payload is waited for.
    public static func frame(in bytes: UnsafeRawBufferPointer) throws -> (message: Message, length: Int)? {
        guard let h = try FrameHeader.parse(bytes), bytes.count >= WireFormat.headerLength + h.length else { return nil }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[WireFormat.headerLength..<(WireFormat.headerLength + h.length)])
        return (try Message.decode(type: h.type, payload: payload), WireFormat.headerLength + h.length)
    }

    /// At the end of a stream: throws `truncatedFrame` if `rest` (the unconsumed bytes) is
    /// not empty.
    public static func finish(_ rest: UnsafeRawBufferPointer) throws {
        guard rest.count > 0 else { return }
        var need = WireFormat.headerLength
        if rest.count >= WireFormat.headerLength, let h = try FrameHeader.parse(rest) { need += h.length }
        throw WireError.truncatedFrame(have: rest.count, need: need)
    }
}
