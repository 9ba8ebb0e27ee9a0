import FluidCluster
import FluidModel
import Foundation
import NIOCore

/// Issue 14 in the source's shell: the pure `AdaptiveRuntime` is fed on every tick and
/// with every answered frame; its actions become wanted plans (told to the nodes with the
/// mode), events and the source's speed-proportional credits. Gray failures (`slow:`) are
/// injected here for real: a SIGSTOP/SIGCONT duty cycle on the node's process, from
/// outside it, driven by this loop's timers.
extension SourceShell {
    /// Period of the `slow:` duty cycle. A K× slower device runs 1/K of every period and is
    /// stopped for the rest: at K = 4, 90 ms stopped, below both the node's own pause
    /// detection (100 ms) and the dead timeout (200 ms), so it looks slow, not hung.
    static let slowPeriod: Int64 = 120

    /// Who picks the plan, from the command line.
    static func policy(for config: ClusterConfig) -> AdaptiveRuntime.Policy {
        if let p = config.plan { return .pinned(p) }
        if let g = config.goal { return .goal(g) }
        return config.mode == .auto ? .auto : .table
    }

    /// Test accuracy of every sub-network, from the weight file's metadata (`acc_50` …).
    static func accuracies(weightsPath: String) -> [Subnet: Double] {
        guard let f = try? ModelFile.load(path: weightsPath) else { return [:] }
        var out: [Subnet: Double] = [:]
        for s in Subnet.all {
            if let v = f.metadata["acc_\(s.name)"].flatMap(Double.init) { out[s] = v > 1 ? v / 100 : v }
        }
        return out
    }

    static func makeAdaptive(config: ClusterConfig, kind: ModelKind, policy: AdaptiveRuntime.Policy) -> AdaptiveRuntime {
        var rt = AdaptiveRuntime(kind: kind, policy: policy, accuracy: accuracies(weightsPath: config.weightsPath(for: kind)),
                                 batchSize: config.batchSize)
        // The Master ↔ Worker link as emulated (--link-latency, --link-bandwidth): the
        // joint plans' capacity is bounded by it when the link, not the devices, limits.
        if config.link.latencyMs > 0 || config.link.bandwidthMbit != nil {
            rt.setLink(CostModel.Link(rttMs: 2 * config.link.latencyMs, bandwidthMbit: config.link.bandwidthMbit))
        }
        return rt
    }

    /// The mode the nodes plan with when `plan` is wanted (the table's fallback for a
    /// failure then stays close: joint → HA, independent → HT).
    func mode(for plan: Plan?) -> Mode {
        if let p = plan { return p.isJoint ? .ha : .ht }
        switch modeSetting {
        case .ha: return .ha
        case .ht: return .ht
        case .auto: return runningMode
        }
    }

    /// Called on every tick while traffic runs.
    func adaptiveTick() {
        guard generating, !restarting, !stopped else { return }
        let n = now
        var saturated: [Role: Bool] = [:], silence: [Role: Double] = [:]
        for d in Role.allCases where source.isReachable(d) {
            saturated[d] = source.isSaturated(d)
            silence[d] = source.silence(of: d, now: n).map { Double($0) / 1e6 }
        }
        let actions = adaptive.tick(now: t, served: source.served, saturated: saturated, silenceMs: silence,
                                    offered: rate, alive: source.reachable)
        for a in actions { carryOut(a) }
        // Credits follow the measured speeds in an independent plan (SourceInstance.speedShare).
        let served = source.served
        let share = served.isIndependentPair && adaptive.model.capacity(served) != nil ? adaptive.model.shares(served) : [:]
        if share != source.speedShare { source.speedShare = share }
        if !adaptive.isCalibrating, adaptive.policy.calibrates, t - lastModelEvent >= 5 { emitModel() }
    }

    func carryOut(_ a: AdaptiveRuntime.Action) {
        switch a {
        case .want(let p, let reason, let numbers):
            want(p)
            emit(.adapt(wanted: p, policy: adaptive.policy.description, reason: reason, numbers: numbers))
        case .speed(let d, let state, let reason):
            emit(.speed(d, factor: state.factor, reason: reason))
        case .calibrating:
            if calibrationStart == nil { calibrationStart = (t, source.ledger.nextID) }
        case .calibrated(let skipped):
            // Calibration's requests are answered before the offered rate starts (see
            // `finishCalibration`).
            if calibrationStart != nil { calibrationDraining = true }
            if !skipped.isEmpty { emit(.message("calibration skipped \(skipped.map(\.rawValue).joined(separator: ", ")): not served in time")) }
            emitModel()
        }
        publish(force: true)
    }

    /// Calibration offered as much as the cluster takes, whatever `--rate` says. Once its
    /// requests are all answered (tens of ms), this says how much it was, writes the part
    /// of a second since the last sample as a calibration record and starts the samples
    /// and the offered rate afresh: the session's first sample holds none of it.
    func finishCalibration() {
        guard calibrationDraining else { return }
        calibrationDraining = false
        if let c = calibrationStart {
            emit(.message("calibrated in \(Int(((t - c.t) * 1000).rounded())) ms with \(source.ledger.nextID - c.submitted) requests at full load; the offered rate applies from now"))
        }
        calibrationStart = nil
        emitSample(endOfCalibration: true)
        startSamples()
        generatedAtRate = 0
    }

    func emitModel() {
        lastModelEvent = t
        emit(.model(adaptive.model, menu: Plan.menu(for: config.kind), offered: rate))
    }

    /// Asks the leader (and the Worker, should it lead alone) for `plan`, with the mode.
    func want(_ plan: Plan?) {
        let m = mode(for: plan)
        let modeChanged = m != runningMode
        runningMode = m
        source.wantedMode = m
        source.wantedPlan = plan
        for l in links.values where l.hello != nil { l.send(.setMode(ModeRequest(mode: m, plan: plan))) }
        if modeChanged, adaptive.policy == .auto, !adaptive.isCalibrating {
            emit(.mode(modeSetting, running: m, reason: "auto: \(plan?.rawValue ?? "table")"))
        }
        pump()
    }

    /// The dashboard's `t` / `a` (and `setMode`): HA or HT by the table, or auto.
    func adaptiveModeSet(_ m: ModeSetting) {
        modeSetting = m
        let policy: AdaptiveRuntime.Policy = m == .auto ? .auto : .table
        let actions = adaptive.set(policy: policy, now: t)
        if m != .auto {
            // The table for the chosen mode, now.
            runningMode = m == .ha ? .ha : .ht
            want(nil)
            emit(.mode(m, running: runningMode, reason: "set by user"))
        } else {
            emit(.mode(m, running: runningMode, reason: "auto mode on"))
        }
        for a in actions where a != .want(nil, reason: "policy \(policy)", numbers: [:]) { carryOut(a) }
    }

    /// The dashboard's plan pin (or `fluid run --plan`): this plan while its devices live.
    func pin(_ plan: Plan?) {
        let policy: AdaptiveRuntime.Policy = plan.map { .pinned($0) } ?? (modeSetting == .auto ? .auto : .table)
        // The runtime's actions carry the wish out (`.want` for a pin or the table).
        for a in adaptive.set(policy: policy, now: t) { carryOut(a) }
    }

    /// The dashboard's goal (or none: the mode's policy).
    func setGoal(_ goal: Goal?) {
        let policy: AdaptiveRuntime.Policy = goal.map { .goal($0) } ?? (modeSetting == .auto ? .auto : .table)
        emit(.message("policy set by user: \(policy)"))
        for a in adaptive.set(policy: policy, now: t) { carryOut(a) }
    }

    /// The nodes restarted on another kind: its menu, its accuracies, a new model.
    func adaptiveKindSwitched(to kind: ModelKind) {
        var policy = adaptive.policy
        if case .pinned(let p) = policy, !Plan.menu(for: kind).contains(p) { policy = modeSetting == .auto ? .auto : .table }
        adaptive = Self.makeAdaptive(config: config, kind: kind, policy: policy)
        source.wantedPlan = adaptive.wanted
        source.speedShare = [:]
        // A calibration cut short by the switch is not announced as finished: the new
        // runtime calibrates afresh (and is counted from its own start).
        calibrationStart = nil
        calibrationDraining = false
    }

    /// A frame of predictions from `d`; `latencyMs` its slowest.
    func adaptiveAnswers(_ d: Role, count: Int, latencyMs: Double) {
        guard count > 0 else { return }
        adaptive.noteAnswers(d, count: count, latencyMs: latencyMs)
    }

    /// What a sample reports of the runtime.
    func adaptiveInfo() -> AdaptiveInfo {
        let served = source.served
        return AdaptiveInfo(policy: adaptive.policy.description, wanted: adaptive.wanted, calibrating: adaptive.isCalibrating || calibrationDraining,
                            capacity: adaptive.model.capacity(served), expectedAccuracy: adaptive.model.accuracy(served))
    }

    /// `SLOW ×K` of the device as measured (not as injected).
    func slowFactor(_ d: Role) -> Double? { adaptive.tracker.state(of: d).factor }

    // MARK: gray failures

    /// `slow:DEVICE=K`: SIGCONT at the start of every period, SIGSTOP after 1/K of it.
    func startSlowdown(_ d: Role, factor k: Double) {
        stopSlowdown(d, resume: false)
        guard let p = processes[d], k > 1 else { return }
        slowGeneration[d, default: 0] += 1
        let generation = slowGeneration[d]!
        let run = Int64(Double(Self.slowPeriod) * 1_000_000 / k)
        let me = NIOLoopBound(self, eventLoop: loop)
        let loop = self.loop
        injectedSlow[d] = k
        slowdowns[d] = loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(Self.slowPeriod)) { _ in
            _ = p.signal(SIGCONT)
            loop.scheduleTask(in: .nanoseconds(run)) {
                // A later unslow, hang or kill ended this duty cycle: no stray stop.
                if me.value.slowGeneration[d] == generation, me.value.slowdowns[d] != nil { _ = p.signal(SIGSTOP) }
            }
        }
    }

    /// Ends a duty cycle; `resume`: the process runs again (unslow), else it is left as the
    /// next fault wants it (a hang stops it, a kill ends it).
    func stopSlowdown(_ d: Role, resume: Bool) {
        slowGeneration[d, default: 0] += 1
        slowdowns[d]?.cancel()
        let was = slowdowns.removeValue(forKey: d) != nil
        injectedSlow[d] = nil
        if was, resume { _ = processes[d]?.signal(SIGCONT) }
    }
}
