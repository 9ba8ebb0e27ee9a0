import FluidCluster
import FluidModel

/// Samples, events, snapshot and summary.
extension ClusterController {
    func emit(_ kind: SessionEvent.Kind) {
        guard !stopped else { return }
        let e = SessionEvent(t: max(0, t), kind)
        events.append(e)
        if events.count > 500 { events.removeFirst(events.count - 500) }
        logger.info("\(e.json.serialized())")
        onEvent?(e)
    }

    func deviceState(_ r: Role) -> DeviceState {
        if source.isReachable(r) { return .up }
        if processes[r]?.isRunning == true, processes[r]?.hung == true || deathCause[r] == .heartbeatTimeout { return .hung }
        return .down
    }

    func deviceSample(_ r: Role, imagesPerSecond: Double) -> DeviceSample {
        let hb = links[r]?.lastHeartbeat
        return DeviceSample(state: deviceState(r), imagesPerSecond: imagesPerSecond,
                            heartbeatAgeMs: source.silence(of: r, now: now).map { Double($0) / 1e6 },
                            peerBytesOut: hb?.peerBytesOut ?? 0, peerBytesIn: hb?.peerBytesIn ?? 0,
                            pid: processes[r]?.pid)
    }

    var sourceBytes: (out: UInt64, in: UInt64) {
        var o = closedLinkBytes.out, i = closedLinkBytes.in
        for l in links.values { o &+= l.counter.bytesOut; i &+= l.counter.bytesIn }
        return (o, i)
    }

    func emitSample() {
        guard !stopped else { return }
        let bytes = sourceBytes
        // Images each device computed in the last second (its share; in HA both compute
        // every image), from the counters in its heartbeats.
        var computed: [Role: Double] = [:]
        for r in Role.allCases {
            let c = links[r]?.lastHeartbeat?.imagesComputed ?? 0
            let last = lastComputed[r] ?? 0
            computed[r] = Double(c >= last ? c - last : c)
            lastComputed[r] = c
        }
        let s = Sample(t: t, throughput: Double(window.predicted),
                       accuracy: window.predicted > 0 ? Double(window.correct) / Double(window.predicted) : nil,
                       unavailablePerSecond: Double(window.unavailable),
                       plan: source.served, mode: runningMode,
                       master: deviceSample(.master, imagesPerSecond: computed[.master] ?? 0),
                       worker: deviceSample(.worker, imagesPerSecond: computed[.worker] ?? 0),
                       latencyP50Ms: window.percentile(0.5), latencyP99Ms: window.percentile(0.99),
                       sent: tracker.sent, answered: tracker.answered, outstanding: tracker.outstanding,
                       sourceBytesOut: bytes.out &- lastSourceBytes.out, sourceBytesIn: bytes.in &- lastSourceBytes.in,
                       offeredRate: rate)
        lastSourceBytes = bytes
        let saturated = tracker.pendingCount >= config.batchSize
        window.reset()
        samples.append(s)
        if samples.count > 120 { samples.removeFirst(samples.count - 120) }
        onSample?(s)
        if modeSetting == .auto,
           let d = auto.onSample(now: t, running: runningMode, throughput: s.throughput, saturated: saturated, offeredRate: rate) {
            apply(mode: d.mode, reason: d.reason)
        }
    }

    func summary(duration: Double) -> SessionSummary {
        let cpu = processCPUSeconds() - startCPU
        return SessionSummary(duration: duration, sent: tracker.sent, answered: tracker.answered,
                              predicted: tracker.predicted, unavailable: tracker.unavailable, correct: correct,
                              duplicates: tracker.duplicates, redispatched: tracker.redispatched,
                              failovers: failovers, recoveries: recoveries,
                              sourceCPUShare: duration > 0 ? cpu / duration : nil)
    }

    /// The cluster now; cheap (a copy made on the loop).
    public func snapshot() -> ClusterSnapshot {
        onLoop {
            ClusterSnapshot(t: self.t, kind: self.config.kind, modeSetting: self.modeSetting, runningMode: self.runningMode,
                            weightsSHA256: self.nodeWeights[.master] ?? self.nodeWeights[.worker],
                            weightsPath: self.config.weightsPath(for: self.config.kind),
                            plan: self.source.served, planEpoch: self.source.servedEpoch,
                            leader: self.servedLeader, rate: self.rate,
                            master: self.samples.last?.master.with(state: self.deviceState(.master)) ?? self.deviceSample(.master, imagesPerSecond: 0),
                            worker: self.samples.last?.worker.with(state: self.deviceState(.worker)) ?? self.deviceSample(.worker, imagesPerSecond: 0),
                            lastSample: self.samples.last, throughputHistory: self.samples.map(\.throughput),
                            sent: self.tracker.sent, answered: self.tracker.answered, predicted: self.tracker.predicted,
                            unavailable: self.tracker.unavailable, correct: self.correct, outstanding: self.tracker.outstanding,
                            recentEvents: Array(self.events.suffix(50)), failovers: self.failovers, recoveries: self.recoveries,
                            restarting: self.restarting)
        }
    }
}

extension DeviceSample {
    func with(state: DeviceState) -> DeviceSample {
        var c = self
        c.state = state
        return c
    }
}
