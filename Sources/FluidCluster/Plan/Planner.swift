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

    /// The same table, unless a source wants a plan of the kind's menu (a pinned plan or
    /// the adaptive controller's choice) and every device it needs is alive: then that
    /// plan. A wanted plan never survives the failure of a device it needs: the table
    /// decides what runs then (docs/cluster.md, "Which plan runs"), and the wanted plan comes back with the device.
    public static func plan(kind: ModelKind, alive: Set<Role>, mode: Mode, wanted: Plan?) -> Plan {
        if let w = wanted, runnable(w, kind: kind, alive: alive) { return w }
        return plan(kind: kind, alive: alive, mode: mode)
    }

    /// Whether `plan` is on `kind`'s menu and every device it needs is in `alive`.
    public static func runnable(_ plan: Plan, kind: ModelKind, alive: Set<Role>) -> Bool {
        plan != .none && Plan.menu(for: kind).contains(plan) && plan.devices.isSubset(of: alive)
    }

    /// `reason(kind:alive:mode:)`, naming the wanted plan when one was asked for.
    public static func reason(kind: ModelKind, alive: Set<Role>, mode: Mode, wanted: Plan?) -> String {
        let base = reason(kind: kind, alive: alive, mode: mode)
        guard let w = wanted else { return base }
        return runnable(w, kind: kind, alive: alive) ? "\(base), wanted \(w.rawValue)"
            : "\(base), wanted \(w.rawValue) cannot run (\(Plan.menu(for: kind).contains(w) ? "a device it needs is down" : "not on the \(kind.rawValue) menu"))"
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
