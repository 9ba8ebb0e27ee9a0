import NIOCore
/// The emulated node-to-node link (issue 5 item 8): a one-way delay and a bandwidth.
///
/// Each device shapes what it *sends*, so a round trip costs `2 × latencyMs` plus the
/// serialization of both messages, like two boards on one Wi-Fi access point. Zero latency
/// and no bandwidth is the real link, untouched (no handler is installed).
public struct LinkShape: Sendable, Equatable, CustomStringConvertible {
    /// One-way delay added to every byte, milliseconds (≥ 0).
    public var latencyMs: Double
    /// Link rate in Mbit/s (10⁶ bit/s); nil = unlimited (only the delay applies).
    public var bandwidthMbit: Double?

    /// No shaping.
    public init() { latencyMs = 0; bandwidthMbit = nil }

    /// Throws `LinkShapeError` for a negative, non-finite or zero-bandwidth setting.
    public init(latencyMs: Double, bandwidthMbit: Double?) throws {
        guard latencyMs.isFinite, latencyMs >= 0, latencyMs <= 10_000 else {
            throw LinkShapeError.invalid("--link-latency must be 0…10000 ms, not \(latencyMs)")
        }
        if let b = bandwidthMbit {
            guard b.isFinite, b > 0, b <= 1_000_000 else {
                throw LinkShapeError.invalid("--link-bandwidth must be > 0 and ≤ 1000000 Mbit/s, not \(b)")
            }
        }
        self.latencyMs = latencyMs
        self.bandwidthMbit = bandwidthMbit
    }

    /// True when the link is left as it is.
    public var isUnshaped: Bool { latencyMs == 0 && bandwidthMbit == nil }

    /// Delay as whole nanoseconds.
    public var latencyNanos: Int64 { Int64((latencyMs * 1e6).rounded()) }

    /// Nanoseconds to put `bytes` on the wire at `bandwidthMbit` (0 when unlimited).
    public func serializationNanos(bytes: Int) -> Int64 {
        guard let b = bandwidthMbit else { return 0 }
        // bits / (Mbit/s) = µs; × 1000 = ns.
        return Int64((Double(bytes) * 8 * 1000 / b).rounded(.up))
    }

    /// The `fluid node` options that reproduce this shape (empty when unshaped), so a
    /// controller can hand it to the processes it spawns.
    public var nodeArguments: [String] {
        guard !isUnshaped else { return [] }
        var a = ["--link-latency", LinkShape.format(latencyMs)]
        if let b = bandwidthMbit { a += ["--link-bandwidth", LinkShape.format(b)] }
        return a
    }

    /// Short label: "unshaped", or e.g. "3 ms, 40 Mbit/s".
    public var description: String {
        guard !isUnshaped else { return "unshaped" }
        let bw = bandwidthMbit.map { "\(LinkShape.format($0)) Mbit/s" } ?? "unlimited"
        return "\(LinkShape.format(latencyMs)) ms, \(bw)"
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}

public enum LinkShapeError: Error, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let m): return m }
    }
}

extension PipelineHooks {
    /// Installs a `LinkShaper` on every node-to-node connection (nothing when `shape` is
    /// unshaped). Source connections are never shaped.
    public mutating func shapeLinks(_ shape: LinkShape) {
        linkShaper = shape.isUnshaped ? nil : { @Sendable () -> [ChannelHandler] in [LinkShaper(shape: shape)] }
    }
}
