import FluidCluster
import FluidModel

/// Generating requests, carrying out the source instance's routing, and taking answers.
extension SourceShell {
    /// Requests the source may have unanswered before it stops generating (bounded memory
    /// when the offered rate exceeds what the cluster can do).
    var backlogLimit: Int { max(4 * config.batchSize * config.windowBatches, Int((rate ?? 0) * 2)) }

    var tracker: RequestTracker { source.ledger }

    func generate() {
        guard generating, !restarting else { return }
        let n = now
        if calibrationDraining {
            lastGenerate = n
            guard tracker.outstanding == 0 else { return }
            finishCalibration()
        }
        // Calibration measures capacities: it offers as much as the cluster takes.
        if let r = rate, !adaptive.isCalibrating {
            generatedAtRate += r * Double(n &- lastGenerate) / 1e9
            lastGenerate = n
            while generatedAtRate >= 1, tracker.outstanding < backlogLimit {
                _ = source.submit(now: n); generatedAtRate -= 1
            }
            if generatedAtRate > 1 { generatedAtRate = 1 } // shed what the backlog cannot hold
        } else {
            // The rate owes nothing for the time calibration ran.
            lastGenerate = n
            // As fast as the credits allow: keep a little more pending than the windows take.
            let targets = max(1, source.currentRoutes().count)
            while tracker.pendingCount < 2 * config.batchSize * targets { _ = source.submit(now: n) }
        }
    }

    /// Sends pending requests where the source instance routes them.
    func pump() {
        guard !restarting, !stopped else { return }
        generate()
        carryOut(source.pump(now: now))
    }

    func carryOut(_ directives: [SourceInstance.Directive]) {
        for d in directives {
            switch d {
            case .sendHeartbeat(let r):
                links[r]?.send(.heartbeat(Heartbeat(sentAtNanos: now)))
            case .send(let r, let ids, let standalone):
                links[r]?.send(.request(RequestBatch(ids: ids, images: images(for: ids), standalone: standalone)))
            case .sendMode(let r, let m):
                links[r]?.send(.setMode(m))
            case .markDown(let r, let cause, _):
                deviceDown(r, cause: cause)
            case .answeredUnavailable(let ids, let reason):
                window.unavailable += ids.count
                if reason == .deadline { window.expired += ids.count }
            case .served(let p, let reason, let epoch):
                servedChanged(p, reason: reason, epoch: epoch)
            case .log(let line):
                logger.info("\(line)")
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
        let accepted = source.answers(ids: a.ids, labels: a.labels, from: device, now: now)
        var any = false
        var predictions = 0, slowest: UInt64 = 0
        defer { adaptiveAnswers(device, count: predictions, latencyMs: Double(slowest) / 1e6) }
        for (id, label, latency) in accepted {
            if label < 0 {
                window.unavailable += 1
            } else {
                any = true
                predictions += 1; slowest = max(slowest, latency)
                window.notePrediction(from: device, latencyMs: Double(latency) / 1e6)
                if Int(label) == Int(config.testSet.labels[Int(id % UInt64(config.testSet.count))]) {
                    correct += 1; window.correct += 1
                }
            }
        }
        if any { noteAnswer() }
    }

    /// First prediction after a failover: its resume time.
    func noteAnswer() {
        guard !faults.awaitingResume.isEmpty else { return }
        let n = now
        for (i, at) in faults.awaitingResume { failovers[i].resumeMs = Double(n &- at) / 1e6 }
        faults.awaitingResume.removeAll()
    }
}
