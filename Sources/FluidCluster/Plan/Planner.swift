import FluidModel

/// Kind × alive devices × mode → plan, exactly docs/cluster.md:
///
/// | kind    | both, HA | both, HT   | Master dead | Worker dead |
/// |---------|----------|------------|-------------|-------------|
/// | static  | ha-100   | ha-100     | none        | none        |
/// | dynamic | ha-100   | solo-50    | none        | solo-50     |
/// | fluid   | ha-100   | ht-50+u50  | solo-u50    | solo-50     |
///
/// A pure function; the leader calls it whenever membership or mode changes.
public enum Planner {
    public static func plan(kind: ModelKind, alive: Set<Role>, mode: Mode) -> Plan {
        let master = alive.contains(.master), worker = alive.contains(.worker)
        switch (master, worker) {
        case (true, true):
            switch (kind, mode) {
            case (_, .ha), (.static, .ht): return .ha100
            case (.dynamic, .ht): return .solo50
            case (.fluid, .ht): return .ht
            }
        case (true, false):
            return kind == .static ? .none : .solo50
        case (false, true):
            return kind == .fluid ? .soloU50 : .none
        case (false, false):
            return .none
        }
    }

    /// One line saying why `plan` was chosen, for the plan event.
    public static func reason(kind: ModelKind, alive: Set<Role>, mode: Mode) -> String {
        let who: String
        switch (alive.contains(.master), alive.contains(.worker)) {
        case (true, true): who = "both devices up"
        case (true, false): who = "worker down"
        case (false, true): who = "master down"
        case (false, false): who = "both devices down"
        }
        return "\(who), \(kind.rawValue), mode \(mode.rawValue)"
    }
}
