import FluidCluster
import FluidModel

/// Counters of the current one-second window, reset at every sample, with each device's
/// own share (the source knows which device answered) and what was last heard from each
/// device (kept across windows: a hung device shows its last counters, not zeros).
struct SampleWindow {
    var predicted = 0
    var correct = 0
    var unavailable = 0
    /// Of `unavailable`: answered by the source because the request deadline passed.
    var expired = 0
    var latenciesMs: [Double] = []
    var devices: [Role: DeviceWindow] = [:]
    var lastHeard: [Role: LastHeard] = [:]

    mutating func reset() {
        let keep = lastHeard
        self = SampleWindow()
        lastHeard = keep
    }

    /// One prediction answered by `device` after `latencyMs`.
    mutating func notePrediction(from device: Role, latencyMs: Double) {
        predicted += 1
        latenciesMs.append(latencyMs)
        devices[device, default: DeviceWindow()].latencies.latenciesMs.append(latencyMs)
    }

    /// p-th percentile (0…1) of the window's latencies, nil when empty. Sorts them in place
    /// the first time (a window holds up to ~200 k latencies; sorting a copy per percentile
    /// cost the source ~3 % of its CPU); appending after that starts a new sort.
    mutating func percentile(_ p: Double) -> Double? {
        guard !latenciesMs.isEmpty else { return nil }
        if sortedCount != latenciesMs.count { latenciesMs.sort(); sortedCount = latenciesMs.count }
        return latenciesMs[min(latenciesMs.count - 1, Int((Double(latenciesMs.count - 1) * p).rounded()))]
    }
    private var sortedCount = 0
}

/// One device's own answers in the current window.
struct DeviceWindow {
    var latencies = LatencyList()
    var answers: Int { latencies.latenciesMs.count }
}

/// Latencies with cached sorting (see `SampleWindow.percentile`).
struct LatencyList {
    var latenciesMs: [Double] = []
    private var sortedCount = 0
    mutating func percentile(_ p: Double) -> Double? {
        guard !latenciesMs.isEmpty else { return nil }
        if sortedCount != latenciesMs.count { latenciesMs.sort(); sortedCount = latenciesMs.count }
        return latenciesMs[min(latenciesMs.count - 1, Int((Double(latenciesMs.count - 1) * p).rounded()))]
    }
}

/// The last heartbeat figures of a device, and when (controller clock, ns).
struct LastHeard {
    var at: UInt64
    var peerBytesOut: UInt64
    var peerBytesIn: UInt64
}

/// Fault bookkeeping for detect / resume / redeploy times.
struct FaultClock {
    struct Open { var action: Fault.Action; var at: UInt64; var consumed = false }
    var lastFault: [Role: Open] = [:]
    /// Failovers waiting for their first answer (index into the list, fault time).
    var awaitingResume: [(index: Int, faultAt: UInt64)] = []
    /// Revive/resume commands waiting for the full plan.
    var awaitingRecovery: [Role: Open] = [:]
}
