/// How well the cluster serves, the dashboard's headline (docs/dashboard.md).
public enum Health: String, CaseIterable, Codable, Sendable {
    /// The plan both devices allow for this kind and mode.
    case full
    /// A smaller plan than both devices allow (a device or link is down).
    case degraded
    /// Nothing serves: every request is answered *unavailable*.
    case outage

    /// `served`: the plan being served; `full`: the plan with both devices up.
    public init(served: Plan, full: Plan) {
        if served == .none { self = .outage } else if served == full { self = .full } else { self = .degraded }
    }

    /// The header's word: health is never told by colour alone.
    public var word: String {
        switch self {
        case .full: return "OK"
        case .degraded: return "DEGRADED"
        case .outage: return "OUTAGE"
        }
    }
}

extension Plan {
    /// What is actually served when only `live` devices are up: the plan while every
    /// device it needs is up, else `none` (a plan announced before a device died is
    /// not served by it, whatever the last announcement said).
    public func served(live: Set<Role>) -> Plan {
        devices.isEmpty || !devices.isSubset(of: live) ? .none : self
    }
}
