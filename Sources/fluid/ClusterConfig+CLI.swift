import ArgumentParser
import Foundation
import FluidTransport
import Logging

extension ClusterConfig {
    /// What `fluid run` and `fluid bench` set alike: node output into `nodeLogs` (created if
    /// needed; nil = discarded).
    mutating func applyCLI(nodeLogs: String?) throws {
        if let d = nodeLogs {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            nodeOutput = .directory(d)
        }
    }
}

extension Logger {
    /// The commands' logger: stderr at `level`.
    static func stderr(label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }
}

/// Range checks for numeric options: one line naming the option and its range, for NaN,
/// infinities and out-of-range values alike (`--rate 1e300` once trapped the source).
enum CLICheck {
    /// Longest run or measuring window accepted, s (a week).
    static let maxSeconds = 7 * 86_400.0
    /// Offered rates, images/s: above 10^7 no cluster of two CPUs comes near.
    static let rates: ClosedRange<Double> = 0.001...10_000_000
    /// Request frames in flight per device: beyond this the source only queues in sockets.
    static let maxWindow = 1024

    static func range(_ option: String, _ v: Double, _ r: ClosedRange<Double>, unit: String = "") throws {
        guard v.isFinite, r.contains(v) else {
            let u = unit.isEmpty ? "" : " \(unit)"
            throw ValidationError("\(option) must be a number from \(format(r.lowerBound)) to \(format(r.upperBound))\(u), not \(v)")
        }
    }

    static func range(_ option: String, _ v: Int, _ r: ClosedRange<Int>, why: String? = nil) throws {
        guard r.contains(v) else {
            throw ValidationError("\(option) must be from \(r.lowerBound) to \(r.upperBound)\(why.map { " (\($0))" } ?? ""), not \(v)")
        }
    }

    static func format(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
    }
}

/// A failure that is not a usage mistake (a file that exists, a certificate that does not
/// load): ArgumentParser prints "Error: <description>" without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ error: Error) { description = "\(error)" }
    init(message: String) { description = message }
}
