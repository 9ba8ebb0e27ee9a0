@_exported import FluidLog

// The session log's records (FluidLog, shared with the writer in FluidCluster) in the
// dashboard's terms.

extension SessionLog.Header {
    public var kind: DashboardKind? { fields["kind"]?.string.flatMap(DashboardKind.init(rawValue:)) }
    public var mode: DashboardMode? { fields["mode"]?.string.flatMap(DashboardMode.init(rawValue:)) }
}

extension SessionLog.Summary {
    public var counters: RequestCounters {
        RequestCounters(sent: fields["sent"]?.int ?? 0, answered: fields["answered"]?.int ?? 0,
                        unavailable: fields["unavailable"]?.int ?? 0, inFlight: nil,
                        lost: fields["lost"]?.int)
    }
}

extension DeviceName {
    public var title: String { self == .master ? "Master" : "Worker" }
}
