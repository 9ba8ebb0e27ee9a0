@_exported import FluidLog
@_exported import FluidVocabulary

// The session log's records (FluidLog, shared with the writer in FluidCluster) in the
// dashboard's terms.

extension SessionLog.Header {
    public var kind: ModelKind? { fields["kind"]?.string.flatMap(ModelKind.init(rawValue:)) }
    public var mode: ModeSetting? { fields["mode"]?.string.flatMap(ModeSetting.init(rawValue:)) }
}

extension SessionLog.Summary {
    public var counters: RequestCounters {
        RequestCounters(sent: fields["sent"]?.int ?? 0, answered: fields["answered"]?.int ?? 0,
                        predicted: fields["predicted"]?.int,
                        unavailable: fields["unavailable"]?.int ?? 0, inFlight: fields["outstanding"]?.int,
                        lost: fields["lost"]?.int)
    }
}
