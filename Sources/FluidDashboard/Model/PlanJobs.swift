/// What each device runs under a DESIGN §8 plan name, for the device panels.
/// (Mirrors FluidCluster's `Plan.job(for:)`; the dashboard has no dependencies.)
public enum PlanJobs {
    /// The sub-network `device` runs under `plan`, or nil when it is idle.
    public static func subnet(plan: String, device: DeviceName) -> String? {
        switch (plan, device) {
        case ("ha-100", _): return "100 (joint)"
        case ("ha-75", _): return "75 (joint)"
        case ("ht-50+u50", .master): return "50"
        case ("ht-50+u50", .worker): return "u50"
        case ("solo-50", .master): return "50"
        case ("solo-25", .master): return "25"
        case ("solo-u50", .worker): return "u50"
        case ("solo-u25", .worker): return "u25"
        default: return nil
        }
    }
}
