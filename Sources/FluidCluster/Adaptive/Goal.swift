/// What the user asks the adaptive controller for (issue 14; `fluid run --goal`).
public enum Goal: Equatable, Sendable, CustomStringConvertible {
    /// The most accurate plan whose capacity serves the offered rate.
    case accuracy
    /// The plan with the highest capacity whose accuracy is at least `minAccuracy` (0…1).
    case throughput(minAccuracy: Double)
    /// The most accurate plan whose p99 latency at the offered rate stays under `ms`.
    case sloP99(ms: Double)

    public var description: String {
        switch self {
        case .accuracy: return "accuracy"
        case .throughput(let a): return "throughput (accuracy ≥ \(Goal.percent(a)))"
        case .sloP99(let ms): return "slo-p99 \(Goal.number(ms)) ms"
        }
    }

    /// The command line's `--goal NAME [--min-accuracy PCT] [--slo-p99 MS]`: `--slo-p99`
    /// alone means `--goal slo-p99`. `minAccuracy` is a percentage (98.5) or a fraction (0.985).
    public static func parse(goal: String?, sloP99Ms: Double?, minAccuracy: Double?) throws -> Goal? {
        if let m = minAccuracy, !(m > 0 && m <= 100) { throw GoalError("--min-accuracy \(m) is not a percentage in (0, 100]") }
        if let s = sloP99Ms, !(s >= 1 && s <= 60_000) { throw GoalError("--slo-p99 \(s) is not a latency in ms from 1 to 60000") }
        let name = goal ?? (sloP99Ms != nil ? "slo-p99" : nil)
        guard let name else {
            if minAccuracy != nil { throw GoalError("--min-accuracy needs --goal throughput") }
            return nil
        }
        switch name {
        case "accuracy":
            guard sloP99Ms == nil, minAccuracy == nil else { throw GoalError("--goal accuracy takes neither --slo-p99 nor --min-accuracy") }
            return .accuracy
        case "throughput":
            guard sloP99Ms == nil else { throw GoalError("--goal throughput takes --min-accuracy, not --slo-p99") }
            let m = minAccuracy ?? 0
            return .throughput(minAccuracy: m > 1 ? m / 100 : m)
        case "slo-p99":
            guard let s = sloP99Ms else { throw GoalError("--goal slo-p99 needs --slo-p99 MS") }
            guard minAccuracy == nil else { throw GoalError("--goal slo-p99 takes --slo-p99, not --min-accuracy") }
            return .sloP99(ms: s)
        default:
            throw GoalError("--goal '\(name)' is not accuracy, throughput or slo-p99")
        }
    }

    static func percent(_ x: Double) -> String { "\(Double(Int((x * 10_000).rounded())) / 100) %" }
    static func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
}

public struct GoalError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
