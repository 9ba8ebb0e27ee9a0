import CZlib

/// gunzip through the system zlib (no hand-written inflate).
///
/// zlib checks the gzip header and the CRC-32/length trailer itself when
/// `inflateInit2` gets windowBits 16 + MAX_WBITS, so a corrupted or cut-short
/// archive surfaces here as an error rather than as silently wrong bytes.
enum Gzip {
    /// True when `bytes` start with the gzip magic 1f 8b.
    static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Decompresses every gzip member of `input` (concatenated members, as `cat a.gz b.gz`,
    /// decompress to the concatenation). Refuses outputs larger than `limit` bytes so that a
    /// hostile archive cannot exhaust memory. Throws a one-line reason (no file name).
    static func decompress(_ input: [UInt8], limit: Int = 1 << 30) throws -> [UInt8] {
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(),
                                       Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw GzipError("zlib inflateInit2 failed (\(initStatus))") }
        defer { inflateEnd(&stream) }

        var output = [UInt8]()
        output.reserveCapacity(min(limit, max(input.count * 4, 1 << 16)))
        let chunkSize = 1 << 18
        var chunk = [UInt8](repeating: 0, count: chunkSize)

        try input.withUnsafeBufferPointer { inBuf in
            guard let base = inBuf.baseAddress, inBuf.count > 0 else {
                throw GzipError("empty gzip stream")
            }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(inBuf.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { outBuf -> (Int32, Int) in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(chunkSize)
                    let s = inflate(&stream, Z_NO_FLUSH)
                    return (s, chunkSize - Int(stream.avail_out))
                }
                if produced > 0 {
                    guard output.count + produced <= limit else {
                        throw GzipError("decompressed size exceeds \(limit) bytes")
                    }
                    output.append(contentsOf: chunk[0..<produced])
                }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Another member may follow; trailing zero padding (some tools add it) ends it.
                    let rest = Int(stream.avail_in)
                    if rest == 0 { return }
                    let tailStart = inBuf.count - rest
                    if inBuf[tailStart...].allSatisfy({ $0 == 0 }) { return }
                    guard inflateReset(&stream) == Z_OK else { throw GzipError("zlib inflateReset failed") }
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw GzipError("gzip stream is truncated")
                default:
                    let msg = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw GzipError("corrupt gzip data: \(msg)")
                }
            }
        }
        return output
    }
}

/// A gzip failure; the caller adds the file name.
struct GzipError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
