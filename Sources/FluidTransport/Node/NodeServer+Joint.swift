import FluidCluster
import FluidModel
import NIOCore

/// One joint (HA) batch in flight on this node.
final class JointBatch {
    let id: UInt64
    let epoch: UInt64
    let subnet: Subnet
    let slot: Int
    let count: Int
    /// Master only: the request, kept to answer it or to re-run it if the Worker dies.
    let work: PendingWork?
    /// Peer activations received, by layer (1, 2).
    var peerActivations: [Int: [Float]] = [:]
    /// Layer whose peer activations this batch waits for before computing the next one.
    var waitingFor: Int?
    var ownPartial: [Float]?
    var peerPartial: [Float]?

    init(id: UInt64, epoch: UInt64, subnet: Subnet, slot: Int, count: Int, work: PendingWork?) {
        self.id = id; self.epoch = epoch; self.subnet = subnet; self.slot = slot; self.count = count; self.work = work
    }
}

/// Joint execution of `100` / `75` (docs/model.md): each device computes its own channels of a
/// layer; activations cross only where the holder's rows read the peer's channels (dense:
/// both ways; triangular: Master → Worker only, so the Master never waits until the end);
/// the Worker's partial logits go to the Master, which adds its own and the fc bias.
///
/// Pipelining: up to `jointSlots` batches are in flight, each with its own JointEngine
/// pair, and each step is a separate compute job, so while one batch waits for the peer
/// the compute loop works on another. Throughput is bound by compute, not round trips.
extension NodeServer {
    /// Master: start queued batches while slots are free and the Worker has deployed the plan.
    func pumpJoint() {
        guard role == .master, let a = current, case .joint(let s) = a.plan.job(for: role), peerDeployed, let p = peer else { return }
        while !jointQueue.isEmpty, let slot = freeSlots.popLast() {
            let w = jointQueue.removeFirst()
            let b = JointBatch(id: nextJointID, epoch: a.epoch, subnet: s, slot: slot, count: w.ids.count, work: w)
            nextJointID += 1
            jointBatches[b.id] = b
            p.send(.jointImages(batch: b.id, epoch: a.epoch, count: b.count, images: w.images))
            submitLayer(1, of: b, images: w.images, peerInput: nil)
        }
    }

    /// Worker: the Master started a batch.
    func workerReceivedImages(batch id: UInt64, epoch e: UInt64, count: Int, images: [UInt8]) {
        guard role == .worker, let a = current, a.epoch == e, case .joint(let s) = a.plan.job(for: role) else {
            // An older plan's batch, abandoned by both sides.
            return
        }
        let slot = freeSlots.popLast() ?? (config.jointSlots + jointBatches.count)
        let b = JointBatch(id: id, epoch: e, subnet: s, slot: slot, count: count, work: nil)
        jointBatches[id] = b
        submitLayer(1, of: b, images: images, peerInput: nil)
    }

    /// Computes layer `l` of `b` (after setting the peer's activations of layer l − 1).
    func submitLayer(_ l: Int, of b: JointBatch, images: [UInt8]?, peerInput: [Float]?) {
        let engines = self.engines, loop = self.loop
        let me = NIOLoopBound(self, eventLoop: loop), batch = NIOLoopBound(b, eventLoop: loop)
        let sendOwn = l < 3 && peerNeeds[l - 1]
        let (id, subnet, slot, count) = (b.id, b.subnet, b.slot, b.count)
        computeLoop.execute {
            let e = engines.value.jointEngine(subnet, slot: slot)
            let result = Result { () throws -> LayerOutput in
                if let images { try images.withUnsafeBufferPointer { try e.beginBatch(images: $0.baseAddress!, count: count) } }
                if let peerInput { try peerInput.withUnsafeBufferPointer { try e.setPeerActivations(after: l - 1, from: $0) } }
                e.computeLayer(l)
                if l == 3 {
                    var partial = [Float](repeating: 0, count: count * CNN.classes)
                    partial.withUnsafeMutableBufferPointer { e.partialLogits(into: $0.baseAddress!) }
                    return .partial(partial)
                }
                return sendOwn ? .frame(JointFrame.activations(batch: id, layer: l, engine: e)) : .nothing
            }
            loop.execute { me.value.layerDone(l, of: batch.value, result) }
        }
    }

    /// What one step leaves for the loop: the partial logits after layer 3, the own
    /// activations after layer 1 or 2 as a `jointActivations` frame when the peer reads
    /// them, or nothing.
    enum LayerOutput: Sendable {
        case partial([Float])
        case frame(ByteBuffer)
        case nothing
    }

    func layerDone(_ l: Int, of b: JointBatch, _ result: Result<LayerOutput, Error>) {
        guard jointBatches[b.id] === b else { return } // abandoned meanwhile
        let output: LayerOutput
        switch result {
        case .success(let o): output = o
        case .failure(let failure):
            // Only the peer's bytes can make a step fail (wrong activation size): its fault.
            if let p = peer { peerLost(p, cause: "bad joint data: \(failure)") }
            return
        }
        if l == 3 {
            guard case .partial(let own) = output else { return }
            if role == .worker {
                peer?.send(.jointPartial(batch: b.id, values: own))
                finish(b)
            } else {
                b.ownPartial = own
                tryCombine(b)
            }
            return
        }
        if case .frame(let frame) = output { peer?.send(frame: frame) }
        if myNeeds[l - 1] {
            if let p = b.peerActivations.removeValue(forKey: l) {
                submitLayer(l + 1, of: b, images: nil, peerInput: p)
            } else {
                b.waitingFor = l
            }
        } else {
            submitLayer(l + 1, of: b, images: nil, peerInput: nil)
        }
    }

    func receivedPeerActivations(batch id: UInt64, layer l: Int, values: [Float]) {
        guard let b = jointBatches[id] else { return }
        if b.waitingFor == l {
            b.waitingFor = nil
            submitLayer(l + 1, of: b, images: nil, peerInput: values)
        } else {
            b.peerActivations[l] = values
        }
    }

    func masterReceivedPartial(batch id: UInt64, values: [Float]) {
        guard let b = jointBatches[id] else { return }
        guard values.count == b.count * CNN.classes else {
            if let p = peer { peerLost(p, cause: "partial logits of \(values.count) floats for \(b.count) images") }
            return
        }
        b.peerPartial = values
        tryCombine(b)
    }

    /// Master: both partials are in → logits = master + worker + bias → answer.
    func tryCombine(_ b: JointBatch) {
        guard let mine = b.ownPartial, let theirs = b.peerPartial, let w = b.work else { return }
        let labels: [Int8]
        do { labels = try JointEngine.combine(master: mine, worker: theirs, bias: weights.fcBias).labels } catch {
            // The peer's partial was checked on arrival; only its bytes can be wrong here.
            if let p = peer { peerLost(p, cause: "bad joint data: \(error)") }
            return
        }
        answer(w.origin, ids: w.ids, labels: labels, plan: current?.plan ?? .ha100)
        finish(b)
        pumpJoint()
    }

    func finish(_ b: JointBatch) {
        jointBatches.removeValue(forKey: b.id)
        imagesComputed &+= UInt64(b.count)
        if b.slot < config.jointSlots { freeSlots.append(b.slot) }
    }

    /// The plan changed or the peer died: joint batches in flight cannot finish. The Master
    /// re-runs its requests under the new plan (they are still its to answer); the Worker
    /// forgets its shares. Compute jobs already queued for them finish and are ignored.
    func abandonJointWork() {
        let batches = jointBatches.values.sorted { $0.id < $1.id }
        jointBatches.removeAll()
        freeSlots = Array((0..<config.jointSlots).reversed())
        guard role == .master else { return }
        let redo = batches.compactMap(\.work) + jointQueue
        jointQueue.removeAll()
        if !redo.isEmpty { logger.info("re-running \(redo.reduce(0) { $0 + $1.ids.count }) images of abandoned joint batches") }
        // Queued again; resumeQueuedWork (called after install) routes them under the new plan.
        jointQueue = redo
    }
}
