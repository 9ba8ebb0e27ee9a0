import FluidCluster
import FluidModel

/// Samples, events, snapshot and summary.
extension SourceShell {
    func emit(_ kind: SessionEvent.Kind) {
        guard !stopped else { return }
        let e = SessionEvent(t: max(0, t), kind)
        events.append(e)
        if events.count > 500 { events.removeFirst(events.count - 500) }
        logger.info("\(e.json.serialized())")
        onEvent?(e)
        publish(force: true)
    }

    func deviceState(_ r: Role) -> DeviceState {
        if source.isReachable(r) { return .up }
        if processes[r]?.isRunning == true, processes[r]?.hung == true || deathCause[r] == .heartbeatTimeout { return .hung }
        return .down
    }

    /// A device as the source sees it now. A device that stops heartbeating (hung, or
    /// just declared down) keeps the figures last heard from it, and its heartbeat age
    /// keeps growing from then: the panel shows how long it has been silent, not zeros.
    func deviceSample(_ r: Role, imagesPerSecond: Double) -> DeviceSample {
        let n = now
        if let hb = links[r]?.lastHeartbeat, let silence = source.silence(of: r, now: n) {
            window.lastHeard[r] = LastHeard(at: n &- silence, peerBytesOut: hb.peerBytesOut, peerBytesIn: hb.peerBytesIn)
        }
        let heard = window.lastHeard[r]
        let running = processes[r]?.isRunning ?? config.attached
        return DeviceSample(state: deviceState(r), imagesPerSecond: imagesPerSecond,
                            heartbeatAgeMs: running ? heard.map { Double(n &- $0.at) / 1e6 } : nil,
                            peerBytesOut: heard?.peerBytesOut ?? 0, peerBytesIn: heard?.peerBytesIn ?? 0,
                            pid: processes[r]?.pid)
    }

    /// The leader's plan as far as it is being served now (`none` when a device it
    /// needs is not up), its health against the plan both devices allow, and the leader
    /// if it is up.
    var served: (plan: Plan, health: Health, leader: Role?) {
        // What the source instance serves (`none` when no device does), not what a leader announced.
        let plan = source.served
        let full = fullPlan
        return (plan, Health(served: plan, full: full), servedLeader)
    }

    var sourceBytes: (out: UInt64, in: UInt64) {
        var o = closedLinkBytes.out, i = closedLinkBytes.in
        for l in links.values { o &+= l.counter.bytesOut; i &+= l.counter.bytesIn }
        return (o, i)
    }

    /// `endOfCalibration`: the part of a second up to calibration's end, written as a
    /// calibration record.
    func emitSample(endOfCalibration: Bool = false) {
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
        var devices: [Role: DeviceSample] = [:]
        for r in Role.allCases {
            var d = deviceSample(r, imagesPerSecond: computed[r] ?? 0)
            d.answersPerSecond = Double(window.devices[r]?.answers ?? 0)
            d.latencyP50Ms = window.devices[r]?.latencies.percentile(0.5)
            d.latencyP99Ms = window.devices[r]?.latencies.percentile(0.99)
            d.slowFactor = slowFactor(r)
            devices[r] = d
        }
        let serving = served
        let recent = samples.map { (predicted: Int($0.throughput), correct: $0.correct) }
            + [(predicted: window.predicted, correct: window.correct)]
        let acc = AccuracyWindow.over(recent)
        var s = Sample(t: t, throughput: Double(window.predicted),
                       accuracy: window.predicted > 0 ? Double(window.correct) / Double(window.predicted) : nil,
                       unavailablePerSecond: Double(window.unavailable),
                       plan: serving.plan, mode: runningMode,
                       master: devices[.master]!, worker: devices[.worker]!,
                       latencyP50Ms: window.percentile(0.5), latencyP99Ms: window.percentile(0.99),
                       sent: tracker.sent, answered: tracker.answered, outstanding: tracker.outstanding,
                       sourceBytesOut: bytes.out &- lastSourceBytes.out, sourceBytesIn: bytes.in &- lastSourceBytes.in,
                       offeredRate: rate, health: serving.health, leader: serving.leader, correct: window.correct,
                       accuracyWindow: acc.accuracy, accuracyWindowCount: acc.count,
                       predicted: tracker.predicted, unavailable: tracker.unavailable)
        s.adaptive = adaptiveInfo()
        if endOfCalibration { s.adaptive?.calibrating = true }
        lastSourceBytes = bytes
        window.reset()
        samples.append(s)
        if samples.count > 120 { samples.removeFirst(samples.count - 120) }
        onSample?(s)
    }

    func summary(duration: Double) -> SessionSummary {
        let cpu = processCPUSeconds() - startCPU
        return SessionSummary(duration: duration, sent: tracker.sent, answered: tracker.answered,
                              predicted: tracker.predicted, unavailable: tracker.unavailable, correct: correct,
                              duplicates: tracker.duplicates, redispatched: tracker.redispatched,
                              failovers: failovers, recoveries: recoveries,
                              sourceCPUShare: duration > 0 ? cpu / duration : nil)
    }

    /// The cluster now (published for readers by `publish`).
    func makeSnapshot() -> ClusterSnapshot {
        let serving = served
        var snap = ClusterSnapshot(t: t, kind: config.kind, modeSetting: modeSetting, runningMode: runningMode,
                                   weightsSHA256: nodeWeights[.master] ?? nodeWeights[.worker],
                                   weightsPath: config.weightsPath(for: config.kind),
                                   plan: source.served, planEpoch: source.servedEpoch ?? 0,
                                   leader: servedLeader, rate: rate,
                                   servedPlan: serving.plan, health: serving.health, liveLeader: serving.leader,
                                   master: liveDevice(.master), worker: liveDevice(.worker),
                                   lastSample: samples.last, throughputHistory: samples.map(\.throughput),
                                   sent: tracker.sent, answered: tracker.answered, predicted: tracker.predicted,
                                   unavailable: tracker.unavailable, correct: correct, outstanding: tracker.outstanding,
                                   recentEvents: Array(events.suffix(50)), failovers: failovers, recoveries: recoveries,
                                   restarting: restarting)
        snap.linkCut = peerLinkCut
        snap.adaptive = adaptiveInfo()
        snap.model = adaptive.model
        snap.injectedSlow = injectedSlow
        snap.selfLed = Set(Role.allCases.filter { source.isReachable($0) && source.governing($0)?.leader == $0 })
        return snap
    }
}

extension SourceShell {
    /// The last sample's figures for `r` with its state and heartbeat age as of now.
    func liveDevice(_ r: Role) -> DeviceSample {
        let current = deviceSample(r, imagesPerSecond: 0)
        guard var d = samples.last?.device(r) else { return current }
        d.state = current.state
        d.slowFactor = slowFactor(r)
        d.heartbeatAgeMs = current.heartbeatAgeMs
        d.pid = current.pid
        if current.state == .up || current.peerBytesOut > 0 {
            d.peerBytesOut = current.peerBytesOut; d.peerBytesIn = current.peerBytesIn
        }
        return d
    }
}
