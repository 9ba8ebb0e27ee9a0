import FluidModel

/// Execution mode of a two-device cluster (DESIGN §1): both devices on one image (HA) or
/// each device on its own images (HT).
public enum Mode: String, CaseIterable, Codable, Sendable {
    case ha, ht
}

/// What the user asks for: a fixed mode, or `auto` (the controller picks HA or HT for the
/// offered rate, see `AutoMode`).
public enum ModeSetting: String, CaseIterable, Codable, Sendable {
    case ha, ht, auto
}

/// What one device does under a plan.
public enum DeviceJob: Equatable, Sendable {
    /// Idle: takes no requests.
    case idle
    /// Runs `subnet` alone on the images routed to it.
    case solo(Subnet)
    /// Its share of `subnet`, jointly with the peer, on the Master's images.
    case joint(Subnet)
}

/// A deployment of the cluster (DESIGN §8 names).
public enum Plan: String, CaseIterable, Codable, Sendable {
    case ha100 = "ha-100"
    case ha75 = "ha-75"
    case ht = "ht-50+u50"
    case solo50 = "solo-50"
    case solo25 = "solo-25"
    case soloU50 = "solo-u50"
    case soloU25 = "solo-u25"
    case none

    /// Wire code (index in `allCases`).
    public var code: UInt8 { UInt8(Plan.allCases.firstIndex(of: self) ?? 0) }
    public init?(code: UInt8) {
        guard Int(code) < Plan.allCases.count else { return nil }
        self = Plan.allCases[Int(code)]
    }

    /// What `role` runs under this plan.
    public func job(for role: Role) -> DeviceJob {
        switch (self, role) {
        case (.ha100, _): return .joint(.s100)
        case (.ha75, _): return .joint(.s75)
        case (.ht, .master): return .solo(.s50)
        case (.ht, .worker): return .solo(.u50)
        case (.solo50, .master): return .solo(.s50)
        case (.solo25, .master): return .solo(.s25)
        case (.soloU50, .worker): return .solo(.u50)
        case (.soloU25, .worker): return .solo(.u25)
        default: return .idle
        }
    }

    /// Devices that must be alive for the plan to run.
    public var devices: Set<Role> {
        Set(Role.allCases.filter { job(for: $0) != .idle })
    }

    /// Devices the source sends requests to. Joint plans take requests at the Master only:
    /// it holds the images and streams what the Worker needs.
    public var requestTargets: [Role] {
        Role.allCases.filter { role in
            switch job(for: role) {
            case .idle: return false
            case .solo: return true
            case .joint: return role == .master
            }
        }
    }

    public var isJoint: Bool {
        if case .joint = job(for: .master) { return true }
        return false
    }
}
