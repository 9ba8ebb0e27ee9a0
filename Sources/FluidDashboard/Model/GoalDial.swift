import Foundation

/// A goal as the dashboard's keys handle it (issue 14): FluidCluster's `Goal` without
/// the dependency (the driver maps one to the other), so the keys' logic is tested here.
public enum GoalChoice: Equatable, Sendable {
    case accuracy
    /// The least accuracy, 0…1.
    case throughput(minAccuracy: Double)
    case sloP99(ms: Double)

    /// The goal a policy's words name (`AdaptiveRuntime.Policy`'s description, as the
    /// snapshot and the samples carry it): "goal accuracy", "goal throughput (accuracy
    /// ≥ 98.5 %)", "goal slo-p99 50 ms". nil for any other policy (table, auto, a plan).
    public init?(policy: String) {
        if policy == "goal accuracy" {
            self = .accuracy
        } else if policy.hasPrefix("goal throughput") {
            guard case .minAccuracy(let a)? = PlanMap.constraint(policy: policy, offered: nil) else { return nil }
            self = .throughput(minAccuracy: a)
        } else if policy.hasPrefix("goal slo-p99 ") {
            let number = policy.dropFirst("goal slo-p99 ".count).prefix { $0.isNumber || $0 == "." }
            guard let ms = Double(String(number)) else { return nil }
            self = .sloP99(ms: ms)
        } else {
            return nil
        }
    }
}

/// What `g`, `[` and `]` do: `g` steps off → accuracy → throughput → slo-p99 → off;
/// `[`/`]` move the goal's number within what `fluid run --goal` accepts. The dial
/// remembers the numbers last used, so cycling round again comes back to them.
public struct GoalDial: Equatable, Sendable {
    /// `--goal throughput`'s least accuracy when none was given: Fluid's HT plan (98.7 %)
    /// meets it and the lower halves do not.
    public static let defaultMinAccuracy = 0.985
    public static let defaultSLOms = 50.0
    /// `Goal.parse`'s ranges: `--min-accuracy` in (0, 100] % (here from one step up),
    /// `--slo-p99` 1…60 000 ms.
    public static let minAccuracyRange = 0.001...1.0
    public static let sloRange = 1.0...60_000.0
    /// One `[`/`]`: 0.1 percentage point of accuracy; a quarter more (or less) latency.
    public static let accuracyStep = 0.001
    public static let sloFactor = 1.25

    public private(set) var minAccuracy: Double
    public private(set) var sloMs: Double

    public init(minAccuracy: Double = GoalDial.defaultMinAccuracy, sloMs: Double = GoalDial.defaultSLOms) {
        self.minAccuracy = minAccuracy
        self.sloMs = sloMs
    }

    /// `g`: the goal after `current` (nil: no goal, the mode's policy).
    public mutating func next(after current: GoalChoice?) -> GoalChoice? {
        remember(current)
        switch current {
        case nil: return .accuracy
        case .accuracy?: return .throughput(minAccuracy: minAccuracy)
        case .throughput?: return .sloP99(ms: sloMs)
        case .sloP99?: return nil
        }
    }

    /// `]` (up) / `[`: `current` with its number moved one step, clamped; nil when the
    /// goal has no number (none, or accuracy).
    public mutating func adjust(_ current: GoalChoice?, up: Bool) -> GoalChoice? {
        switch current {
        case .throughput(let a)?:
            let moved = a + (up ? Self.accuracyStep : -Self.accuracyStep)
            // Whole hundredths of a percent: steps from 98.5 % read 98.6 %, not 98.60000001 %.
            minAccuracy = Self.clamp((moved * 10_000).rounded() / 10_000, Self.minAccuracyRange)
            return .throughput(minAccuracy: minAccuracy)
        case .sloP99(let ms)?:
            let moved = up ? ms * Self.sloFactor : ms / Self.sloFactor
            // Whole ms from 10 ms, tenths below: 50, 62.5 → 63, 78.8 → 79 …; a step is never
            // lost to rounding (×1.25 moves 10 ms by 2.5, 1 ms by 0.25).
            let rounded = moved >= 10 ? moved.rounded() : (moved * 10).rounded() / 10
            sloMs = Self.clamp(rounded, Self.sloRange)
            return .sloP99(ms: sloMs)
        case .accuracy?, nil:
            return nil
        }
    }

    private mutating func remember(_ g: GoalChoice?) {
        switch g {
        case .throughput(let a)?: minAccuracy = Self.clamp(a, Self.minAccuracyRange)
        case .sloP99(let ms)?: sloMs = Self.clamp(ms, Self.sloRange)
        default: break
        }
    }

    static func clamp(_ x: Double, _ r: ClosedRange<Double>) -> Double { min(max(x, r.lowerBound), r.upperBound) }
}
