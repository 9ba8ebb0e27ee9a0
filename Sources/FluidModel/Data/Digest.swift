import Crypto

/// SHA-256 as lowercase hex, the form of the MNIST digests (docs/model.md) and of the cluster handshake.
enum Digest {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in SHA256.hash(data: bytes) {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
