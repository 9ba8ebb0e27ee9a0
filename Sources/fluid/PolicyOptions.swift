import ArgumentParser
import FluidCluster

/// `--plan` / `--goal` / `--slo-p99` / `--min-accuracy` of `run` and `demo` (issue 14),
/// checked against each other, `--mode auto` and the kind's menu.
enum PolicyOptions {
    static func resolve(kind: ModelKind, mode: ModeSetting, plan: String?, goal: String?,
                        sloP99: Double?, minAccuracy: Double?) throws -> (plan: Plan?, goal: Goal?) {
        let g: Goal?
        do { g = try Goal.parse(goal: goal, sloP99Ms: sloP99, minAccuracy: minAccuracy) } catch { throw ValidationError("\(error)") }
        guard let name = plan else {
            if g != nil, mode == .auto { throw ValidationError("--goal replaces --mode auto (auto is the accuracy goal over HA and HT): give one") }
            return (nil, g)
        }
        guard let p = Plan.named(name), p != .none else {
            throw ValidationError("--plan '\(name)' is not a plan (\(Plan.menu(for: .fluid).map(\.rawValue).joined(separator: ", ")))")
        }
        guard Plan.menu(for: kind).contains(p) else {
            throw ValidationError("--plan \(name) is not on the \(kind.rawValue) menu (\(Plan.menu(for: kind).map(\.rawValue).joined(separator: ", "))): its weights do not hold that network")
        }
        if g != nil { throw ValidationError("--plan pins a plan; --goal lets the controller choose: give one") }
        if mode == .auto { throw ValidationError("--plan pins a plan; --mode auto lets the controller choose: give one") }
        return (p, nil)
    }
}
