/// What one device does under a plan.
public enum DeviceJob: Equatable, Sendable {
    /// Idle: takes no requests.
    case idle
    /// Runs `subnet` alone on the images routed to it.
    case solo(Subnet)
    /// Its share of `subnet`, jointly with the peer, on the Master's images.
    case joint(Subnet)

    /// The sub-network this job runs, nil when idle.
    public var subnet: Subnet? {
        switch self {
        case .idle: return nil
        case .solo(let s), .joint(let s): return s
        }
    }

    /// "100 (joint)", "u50", nil when idle: the device panels' `runs` line.
    public var label: String? {
        switch self {
        case .idle: return nil
        case .solo(let s): return s.name
        case .joint(let s): return "\(s.name) (joint)"
        }
    }
}

/// A deployment of the cluster (names in docs/cluster.md; scripts rely on them).
public enum Plan: String, CaseIterable, Codable, Sendable {
    case ha100 = "ha-100"
    case ha75 = "ha-75"
    case ht = "ht-50+u50"
    case ht25 = "ht-25+u25"
    case ht50u25 = "ht-50+u25"
    case ht25u50 = "ht-25+u50"
    case solo50 = "solo-50"
    case solo25 = "solo-25"
    case soloU50 = "solo-u50"
    case soloU25 = "solo-u25"
    case none

    /// Wire code. Fixed per plan, not derived from declaration order, so adding or
    /// reordering cases never changes what a byte on the wire means (a test pins the table).
    public var code: UInt8 {
        switch self {
        case .ha100: return 0
        case .ha75: return 1
        case .ht: return 2
        case .solo50: return 3
        case .solo25: return 4
        case .soloU50: return 5
        case .soloU25: return 6
        case .none: return 7
        case .ht25: return 8
        case .ht50u25: return 9
        case .ht25u50: return 10
        }
    }

    public init?(code: UInt8) {
        guard let plan = Plan.allCases.first(where: { $0.code == code }) else { return nil }
        self = plan
    }

    /// What `role` runs under this plan.
    public func job(for role: Role) -> DeviceJob {
        switch (self, role) {
        case (.ha100, _): return .joint(.s100)
        case (.ha75, _): return .joint(.s75)
        case (.ht, .master): return .solo(.s50)
        case (.ht, .worker): return .solo(.u50)
        case (.ht25, .master), (.ht25u50, .master): return .solo(.s25)
        case (.ht25, .worker), (.ht50u25, .worker): return .solo(.u25)
        case (.ht50u25, .master): return .solo(.s50)
        case (.ht25u50, .worker): return .solo(.u50)
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

    /// Both devices serve, each on its own images (HT-like): the source splits the load.
    public var isIndependentPair: Bool {
        if case .solo = job(for: .master), case .solo = job(for: .worker) { return true }
        return false
    }

    public var isJoint: Bool {
        if case .joint = job(for: .master) { return true }
        return false
    }

    /// Nothing serves: every request is answered *unavailable*.
    public var isOutage: Bool { self == .none }

    /// The plan in plain words, for the dashboard and its help (docs/cluster.md).
    public var plainWords: String {
        switch self {
        case .ha100: return "Both devices run the whole network (16 channels) together on each image"
        case .ha75: return "Both devices run the lower three quarters (12 channels) together on each image"
        case .ht: return "Each device runs its own half (8 channels) on its own images"
        case .ht25: return "Each device runs its own quarter (4 channels) on its own images"
        case .ht50u25: return "Each device on its own images: Master its lower half (8 channels), Worker its third quarter (4 channels)"
        case .ht25u50: return "Each device on its own images: Master its lower quarter (4 channels), Worker its upper half (8 channels)"
        case .solo50: return "Master alone runs its lower half (8 channels)"
        case .solo25: return "Master alone runs its lower quarter (4 channels)"
        case .soloU50: return "Worker alone runs its upper half (8 channels)"
        case .soloU25: return "Worker alone runs its third quarter (4 channels)"
        case .none: return "Nothing serves: every request is answered unavailable"
        }
    }

    /// The plans `kind`'s weights allow (docs/cluster.md, "The menu"): a sub-network is on
    /// the menu only where that kind trained it as a network. Static trained only `100`
    /// (its `50` alone is 44 %); Dynamic trained `25`…`100` nested from the lower channels,
    /// so no `u` network; Fluid trained every one. `none` is never on a menu.
    public static func menu(for kind: ModelKind) -> [Plan] {
        switch kind {
        case .static: return [.ha100]
        case .dynamic: return [.ha100, .ha75, .solo50, .solo25]
        case .fluid: return [.ha100, .ha75, .ht, .ht50u25, .ht25u50, .ht25, .solo50, .solo25, .soloU50, .soloU25]
        }
    }

    /// The plan this name denotes, or nil.
    public static func named(_ name: String) -> Plan? { Plan(rawValue: name) }
}
