import FluidCluster
import FluidModel

/// Generating requests, routing them by the leader's plan, and taking answers.
extension ClusterController {
    /// Requests the source may have unanswered before it stops generating (bounded memory
    /// when the offered rate exceeds what the cluster can do).
    var backlogLimit: Int { max(4 * config.batchSize * config.windowBatches, Int((rate ?? 0) * 2)) }

    func generate() {
        guard generating, !restarting else { return }
        let n = now
        if let r = rate {
            generatedAtRate += r * Double(n &- lastGenerate) / 1e9
            lastGenerate = n
            while generatedAtRate >= 1, tracker.outstanding < backlogLimit {
                submitNew(at: n); generatedAtRate -= 1
            }
            if generatedAtRate > 1 { generatedAtRate = 1 } // shed what the backlog cannot hold
        } else {
            // As fast as the credits allow: keep a little more pending than the windows take.
            let targets = max(1, announced?.plan.requestTargets.count ?? 1)
            while tracker.pendingCount < 2 * config.batchSize * targets { submitNew(at: n) }
        }
    }

    /// `at`: the caller's clock reading (one per generate, not one per image).
    func submitNew(at t: UInt64? = nil) {
        tracker.submit(nextID, now: t ?? now)
        nextID += 1
    }

    /// Sends pending requests to the plan's targets while they have credits.
    func pump() {
        guard !restarting, !stopped else { return }
        generate()
        let alive = detector.alive
        let local = Planner.plan(kind: config.kind, alive: alive, mode: runningMode)
        if local == .none || announced?.plan == Plan.none {
            // No device set can serve: every waiting request gets an explicit answer.
            let ids = tracker.answerPendingUnavailable(now: now)
            window.unavailable += ids.count
            return
        }
        guard let a = announced else { return }
        let n = now
        for target in a.plan.requestTargets where alive.contains(target) {
            if let until = paused[target], n < until { continue }
            guard let link = links[target], link.hello != nil else { continue }
            let credit = config.windowBatches * config.batchSize
            while tracker.inFlight(on: target) < credit {
                let ids = tracker.nextBatch(for: target, max: min(config.batchSize, credit - tracker.inFlight(on: target)))
                if ids.isEmpty { break }
                link.send(.request(RequestBatch(ids: ids, images: images(for: ids))))
            }
        }
    }

    /// images [ids.count, 784] from the looping test set.
    func images(for ids: [UInt64]) -> [UInt8] {
        let set = config.testSet
        let px = CNN.imagePixels
        let count = UInt64(max(1, set.count))
        // Uninitialised: every byte is copied from the test set (no memset first).
        return [UInt8](unsafeUninitializedCapacity: ids.count * px) { dst, done in
            set.images.withUnsafeBufferPointer { src in
                guard let d = dst.baseAddress, let s = src.baseAddress else { return }
                for (k, id) in ids.enumerated() {
                    (d + k * px).initialize(from: s + Int(id % count) * px, count: px)
                }
                done = ids.count * px
            }
        }
    }

    func received(answer a: AnswerBatch, from device: Role) {
        guard a.ids.count == a.labels.count else { return }
        let n = now
        var any = false
        for (id, label) in zip(a.ids, a.labels) {
            guard case .accepted(let latency) = tracker.onAnswer(id, label: label, now: n) else { continue }
            any = true
            if label < 0 {
                window.unavailable += 1
            } else {
                window.notePrediction(from: device, latencyMs: Double(latency) / 1e6)
                if Int(label) == Int(config.testSet.labels[Int(id % UInt64(config.testSet.count))]) {
                    correct += 1; window.correct += 1
                }
            }
        }
        if any, a.labels.contains(where: { $0 >= 0 }) { noteAnswer() }
    }

    /// First prediction after a failover: its resume time.
    func noteAnswer() {
        guard !faults.awaitingResume.isEmpty else { return }
        let n = now
        for (i, at) in faults.awaitingResume { failovers[i].resumeMs = Double(n &- at) / 1e6 }
        faults.awaitingResume.removeAll()
    }

    func apply(mode m: Mode, reason: String) {
        let changed = m != runningMode
        runningMode = m
        for l in links.values where l.hello != nil { l.send(.setMode(m)) }
        emit(.mode(modeSetting, running: m, reason: reason))
        if changed { pump() }
    }
}
