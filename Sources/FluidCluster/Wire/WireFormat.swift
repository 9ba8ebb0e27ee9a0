/// The frame layout every Fluid byte stream uses (node↔node, source↔node).
///
/// ```
/// offset 0  magic   2 bytes  "FD" (0x46 0x44)
///        2  version 1 byte   WireFormat.version
///        3  type    1 byte   MessageType raw value
///        4  length  4 bytes  big-endian payload length, ≤ maxPayload
///        8  payload `length` bytes (see Message+Codec.swift)
/// ```
///
/// The magic catches a stray client (an HTTP probe, a port scan) in its first two bytes; the
/// version is independent of the package version so that two builds that still speak the
/// same protocol keep working together, and two that do not are refused with a hint.
public enum WireFormat {
    public static let magic: (UInt8, UInt8) = (0x46, 0x44)
    /// Bumped whenever a message layout changes.
    public static let version: UInt8 = 1
    public static let headerLength = 8
    /// Largest accepted payload, bytes. A joint batch of 256 images sends 256 × 14 × 14 × 8
    /// floats = 1.6 MB after conv1; 8 MiB leaves room and still bounds what a hostile peer
    /// can make a node allocate.
    public static let maxPayload = 8 << 20
    /// Largest plan epoch accepted from the wire (2^48). A leader numbers at most a few
    /// plans per second, so 2^48 lasts for millennia; the bound leaves 2^16 of headroom so
    /// `epoch + 1` on any accepted value can never overflow (issue 12: a hello with epoch
    /// 2^64 − 1 once trapped both nodes).
    public static let maxEpoch: UInt64 = 1 << 48
    /// Longest string field accepted (node ids, weight digests, reasons), bytes; longer
    /// ones are cut when encoded.
    public static let maxString = 4096
}

/// Why a byte stream was refused. Each case names the problem so the log line says it.
public enum WireError: Error, Equatable, CustomStringConvertible {
    case badMagic(UInt8, UInt8)
    case wrongVersion(found: UInt8, expected: UInt8)
    case oversized(length: Int, limit: Int)
    case unknownType(UInt8)
    /// The stream ended (connection closed) in the middle of a frame.
    case truncatedFrame(have: Int, need: Int)
    /// A payload shorter than its message needs, or with bytes left over.
    case malformed(type: String, problem: String)

    public var description: String {
        switch self {
        case .badMagic(let a, let b):
            return String(format: "bad magic 0x%02x%02x (not a Fluid stream; expected 0x4644 \"FD\")", a, b)
        case .wrongVersion(let f, let e):
            return "wire version \(f), this build speaks \(e) (run the same fluid build on every device)"
        case .oversized(let l, let m):
            return "frame length \(l) bytes exceeds the limit of \(m)"
        case .unknownType(let t):
            return "unknown message type \(t)"
        case .truncatedFrame(let h, let n):
            return "connection closed in the middle of a frame (\(h) of \(n) bytes)"
        case .malformed(let t, let p):
            return "malformed \(t) message: \(p)"
        }
    }
}

/// A validated frame header.
public struct FrameHeader: Equatable, Sendable {
    public var type: UInt8
    public var length: Int

    /// Parses and validates the 8 header bytes; nil when fewer than 8 bytes are given.
    /// Magic and version are checked as soon as their bytes are present, so garbage is
    /// refused without waiting for a full header.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> FrameHeader? {
        if bytes.count >= 2, bytes[0] != WireFormat.magic.0 || bytes[1] != WireFormat.magic.1 {
            throw WireError.badMagic(bytes[0], bytes[1])
        }
        if bytes.count >= 3, bytes[2] != WireFormat.version {
            throw WireError.wrongVersion(found: bytes[2], expected: WireFormat.version)
        }
        guard bytes.count >= WireFormat.headerLength else { return nil }
        let length = Int(bytes[4]) << 24 | Int(bytes[5]) << 16 | Int(bytes[6]) << 8 | Int(bytes[7])
        guard length <= WireFormat.maxPayload else {
            throw WireError.oversized(length: length, limit: WireFormat.maxPayload)
        }
        guard MessageType(rawValue: bytes[3]) != nil else { throw WireError.unknownType(bytes[3]) }
        return FrameHeader(type: bytes[3], length: length)
    }

    /// Appends a header for a payload of `length` bytes.
    public static func write(type: MessageType, length: Int, into out: inout [UInt8]) {
        out.append(WireFormat.magic.0)
        out.append(WireFormat.magic.1)
        out.append(WireFormat.version)
        out.append(type.rawValue)
        let l = UInt32(length)
        out.append(UInt8(l >> 24)); out.append(UInt8((l >> 16) & 0xff))
        out.append(UInt8((l >> 8) & 0xff)); out.append(UInt8(l & 0xff))
    }
}
