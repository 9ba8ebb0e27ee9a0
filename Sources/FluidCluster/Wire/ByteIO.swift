/// Little helpers to write and read payload fields. Integers big-endian, floats as raw
/// little-endian IEEE 754 (every target this runs on is little-endian; the bytes are
/// copied, never reinterpreted in place, so alignment does not matter).
public struct ByteWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(v >> 24)); bytes.append(UInt8((v >> 16) & 0xff))
        bytes.append(UInt8((v >> 8) & 0xff)); bytes.append(UInt8(v & 0xff))
    }
    public mutating func u64(_ v: UInt64) {
        u32(UInt32(v >> 32)); u32(UInt32(v & 0xffff_ffff))
    }
    public mutating func string(_ s: String) {
        let utf8 = Array(s.utf8.prefix(WireFormat.maxString))
        u32(UInt32(utf8.count)); bytes.append(contentsOf: utf8)
    }
    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    public mutating func raw(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }
}

/// Reads fields from a payload; every read checks the remaining length and throws
/// `WireError.malformed` naming the message type instead of trapping. It reads the bytes
/// where they lie (a receive buffer or an array), so it lives only inside a `withUnsafeBytes`
/// scope: `Message.decode` is its one user.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    let type: String

    init(_ bytes: UnsafeRawBufferPointer, type: String) {
        self.bytes = bytes
        self.type = type
    }

    var remaining: Int { bytes.count - offset }

    mutating func need(_ n: Int, _ what: String) throws {
        guard n >= 0, remaining >= n else {
            throw WireError.malformed(type: type, problem: "\(what) needs \(n) bytes, \(remaining) left")
        }
    }

    mutating func u8(_ what: String = "u8") throws -> UInt8 {
        try need(1, what); defer { offset += 1 }
        return bytes[offset]
    }
    mutating func bool(_ what: String = "bool") throws -> Bool {
        let v = try u8(what)
        guard v <= 1 else { throw WireError.malformed(type: type, problem: "\(what) is \(v), not 0/1") }
        return v == 1
    }
    mutating func u32(_ what: String = "u32") throws -> UInt32 {
        try need(4, what); defer { offset += 4 }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    mutating func u64(_ what: String = "u64") throws -> UInt64 {
        try need(8, what); defer { offset += 8 }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    /// A plan epoch, at most `WireFormat.maxEpoch`.
    mutating func epoch(_ what: String = "epoch") throws -> UInt64 {
        let e = try u64(what)
        guard e <= WireFormat.maxEpoch else {
            throw WireError.malformed(type: type, problem: "\(what) \(e) exceeds \(WireFormat.maxEpoch) (2^48)")
        }
        return e
    }
    mutating func string(_ what: String = "string") throws -> String {
        let n = Int(try u32(what + " length"))
        guard n <= WireFormat.maxString else {
            throw WireError.malformed(type: type, problem: "\(what) of \(n) bytes exceeds \(WireFormat.maxString)")
        }
        try need(n, what)
        defer { offset += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]), as: UTF8.self)
    }
    mutating func raw(_ n: Int, _ what: String) throws -> [UInt8] {
        try need(n, what); defer { offset += n }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
    }
    /// A u32 count, then that many floats (one copy, straight out of the payload).
    mutating func floats(_ what: String) throws -> [Float] {
        let n = Int(try u32(what + " count"))
        try need(n * 4, what)
        let src = bytes.baseAddress.map { $0 + offset }
        offset += n * 4
        return [Float](unsafeUninitializedCapacity: n) { dst, done in
            if n > 0, let d = dst.baseAddress, let src { UnsafeMutableRawPointer(d).copyMemory(from: src, byteCount: n * 4) }
            done = n
        }
    }
    /// Refuses trailing bytes: a message is exactly its fields.
    func end() throws {
        guard remaining == 0 else {
            throw WireError.malformed(type: type, problem: "\(remaining) trailing bytes")
        }
    }
}
