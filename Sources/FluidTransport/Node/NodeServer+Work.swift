import FluidCluster
import FluidModel
import NIOCore

/// Requests from a source, kept with their origin so the answer goes back to it.
struct PendingWork {
    var ids: [UInt64]
    var images: [UInt8]
    /// Connection id of the source.
    var origin: Int
    /// The source cannot reach the device that serves these under the plan: run what this
    /// node can run alone (see `SourceInstance`).
    var standalone = false
}

/// Serving requests: solo sub-networks, or joint batches (NodeServer+Joint.swift).
extension NodeServer {
    func handleRequest(_ w: PendingWork) {
        if w.standalone { return runStandalone(w) }
        guard let a = current else { return reject(w) }
        switch a.plan.job(for: role) {
        case .solo(let s):
            runSolo(w, subnet: s, plan: a.plan)
        case .joint:
            guard role == .master else { return reject(w) }
            jointQueue.append(w)
            pumpJoint()
        case .idle:
            if a.plan == .none, isLeader {
                // "Stops": an explicit answer, never silence (docs/cluster.md).
                answer(w.origin, ids: w.ids, labels: [Int8](repeating: AnswerBatch.unavailable, count: w.ids.count), plan: .none)
            } else {
                reject(w)
            }
        }
    }

    /// What this device runs when it is alone (docs/cluster.md: Fluid Worker `u50`, Master
    /// `50`; Dynamic Worker and Static: nothing, so *unavailable*).
    func runStandalone(_ w: PendingWork) {
        let alone = Planner.plan(kind: model.kind, alive: [role], mode: .ht)
        if case .solo(let s) = alone.job(for: role) {
            runSolo(w, subnet: s, plan: alone)
        } else {
            answer(w.origin, ids: w.ids, labels: [Int8](repeating: AnswerBatch.unavailable, count: w.ids.count), plan: .none)
        }
    }

    func reject(_ w: PendingWork) {
        connections[w.origin]?.send(.reject(ids: w.ids))
    }

    func answer(_ origin: Int, ids: [UInt64], labels: [Int8], plan: Plan) {
        connections[origin]?.send(.answer(AnswerBatch(ids: ids, labels: labels, plan: plan)))
    }

    /// Runs `subnet` on the compute loop; answers on the node's loop.
    func runSolo(_ w: PendingWork, subnet: Subnet, plan: Plan) {
        let engines = self.engines, loop = self.loop, me = NIOLoopBound(self, eventLoop: loop)
        let n = w.ids.count
        computeLoop.execute {
            let engine = engines.value.soloEngine(subnet)
            var labels = [Int32](repeating: 0, count: n)
            w.images.withUnsafeBufferPointer { img in
                labels.withUnsafeMutableBufferPointer { out in
                    if let i = img.baseAddress, let o = out.baseAddress { engine.predict(images: i, count: n, into: o) }
                }
            }
            let answer = labels.map { Int8(truncatingIfNeeded: $0) }
            loop.execute {
                me.value.imagesComputed &+= UInt64(n)
                me.value.answer(w.origin, ids: w.ids, labels: answer, plan: plan)
            }
        }
    }

    /// Work that waited for a plan (or for the peer's acknowledgement) goes again.
    func resumeQueuedWork() {
        guard let a = current else { return }
        if case .joint = a.plan.job(for: role) { pumpJoint(); return }
        let queued = jointQueue
        jointQueue.removeAll()
        for w in queued { handleRequest(w) }
    }
}
