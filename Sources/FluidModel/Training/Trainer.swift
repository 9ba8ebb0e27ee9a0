import Dispatch
import Foundation

/// What one stage did, for the progress log and the recipe metadata.
public struct StageReport: Sendable {
    public var name: String
    public var seconds: Double
    /// Mean loss and accuracy of the first loss term over the stage's last epoch.
    public var loss: Float
    public var trainAccuracy: Double
    public var imagesPerSecond: Double
}

/// Trains the shared weight store through the stages of a recipe (docs/model.md).
///
/// Every step: a batch is cut into `recipe.shards` fixed slices; the threads take shards in
/// turn and run each through forward and backward of every loss term on their own buffers,
/// into that shard's own gradients; the gradients are then scattered into the store's shape
/// in a fixed order (term by term, shard 0 first), so a seed gives the same weights however
/// many threads there are and whatever their timing. Adam then changes only the stage's
/// trainable set intersected with the connectivity mask: frozen weights stay bit-exact and
/// forbidden blocks stay exactly zero.
package final class Trainer {
    package let recipe: TrainingRecipe
    package private(set) var weights: CNNWeights
    /// Threads a step runs on: at most one per shard.
    package let threads: Int
    package var progress: (any TrainingProgress)?
    /// Called after each stage (e.g. to evaluate while developing a recipe).
    package var afterStage: ((Int, TrainingStage, CNNWeights) -> Void)?
    let workers: [Worker]
    let shards: [Shard]

    /// Per-thread buffers: a pass and the teacher's logits of the shard it is running.
    final class Worker {
        let pass: SubnetPass
        let teacherLogits: UnsafeMutablePointer<Float>

        init(capacity: Int) {
            pass = SubnetPass(capacity: capacity)
            teacherLogits = .allocate(capacity: capacity * CNN.classes)
            teacherLogits.initialize(repeating: 0, count: capacity * CNN.classes)
        }
        deinit { teacherLogits.deallocate() }
    }

    /// Per-shard results of a step: per-term gradients and statistics.
    final class Shard {
        /// The shard's images within a batch.
        let range: Range<Int>
        var grads: [SubnetWeights] = []
        var loss: [Float] = []
        var correct: [Int] = []

        init(range: Range<Int>) { self.range = range }
    }

    /// `threads` nil: one per core (`ProcessInfo.activeProcessorCount`); the weights do not
    /// depend on it.
    package init(recipe: TrainingRecipe, initial: CNNWeights? = nil, threads: Int? = nil) {
        self.recipe = recipe
        var w = initial ?? CNNWeights.initial(seed: recipe.seed, connectivity: recipe.connectivity)
        w.applyMask(recipe.connectivity)
        weights = w
        let batch = recipe.batchSize, count = max(1, recipe.shards)
        shards = (0..<count).map { k in Shard(range: (k * batch / count)..<((k + 1) * batch / count)) }
        self.threads = max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, count))
        let capacity = shards.map(\.range.count).max() ?? 1
        workers = (0..<self.threads).map { _ in Worker(capacity: capacity) }
    }

    /// Runs every stage on `data` (the first `limit` images if given).
    @discardableResult
    package func run(data: MNISTSet, limit: Int? = nil) -> [StageReport] {
        var reports: [StageReport] = []
        for (i, stage) in recipe.stages.enumerated() {
            reports.append(runStage(stage, index: i, data: data, limit: limit))
            afterStage?(i, stage, weights)
        }
        return reports
    }

    @discardableResult
    package func runStage(_ stage: TrainingStage, index: Int, data: MNISTSet, limit: Int? = nil) -> StageReport {
        let count = min(limit ?? data.count, data.count)
        let batch = recipe.batchSize
        let stepsPerEpoch = max(count / batch, 1) // the last partial batch is dropped
        let totalSteps = max(Int((stage.epochs * Double(stepsPerEpoch)).rounded()), 1)
        let trainable = stage.trainable & .allowed(by: recipe.connectivity)
        var adam = Adam(trainable: trainable)
        var params = weights.flattened
        var rng = SplitMix64(seed: recipe.seed &+ 0x5EED &* UInt64(index + 1))
        var order = Array(0..<count)
        var shifts = [Int8](repeating: 0, count: 2 * batch)
        let terms = stage.losses
        var slices = terms.map { weights.slice($0.subnet) }
        // The teacher: the stage's external models (an ensemble's logits are averaged) or,
        // with none, the store being trained (refreshed every step).
        let selfTeacher = stage.teacherWeights.isEmpty
        var teacherSlices: [SubnetWeights] = stage.teacher.map { t in
            selfTeacher ? [weights.slice(t)] : stage.teacherWeights.map { $0.slice(t) }
        } ?? []
        for sh in shards {
            sh.grads = terms.map { SubnetWeights(zerosFor: $0.subnet.channels) }
            sh.loss = [Float](repeating: 0, count: terms.count)
            sh.correct = [Int](repeating: 0, count: terms.count)
        }
        progress?.stageBegan(index: index, of: recipe.stages.count, stage: stage, totalSteps: totalSteps,
                             stepsPerEpoch: stepsPerEpoch, batchSize: batch)
        let start = DispatchTime.now().uptimeNanoseconds
        var epochLoss: Double = 0, epochCorrect = 0, epochSeen = 0
        var lastLoss: Float = 0, lastAccuracy = 0.0

        for step in 0..<totalSteps {
            let pos = step % stepsPerEpoch
            if pos == 0 {
                if step > 0 {
                    lastLoss = Float(epochLoss / Double(max(epochSeen, 1)))
                    lastAccuracy = Double(epochCorrect) / Double(max(epochSeen, 1))
                }
                rng.shuffle(&order)
                epochLoss = 0; epochCorrect = 0; epochSeen = 0
            }
            if recipe.augmentShift > 0 {
                let span = 2 * recipe.augmentShift + 1
                for k in shifts.indices { shifts[k] = Int8(rng.below(span) - recipe.augmentShift) }
            }
            for i in terms.indices { weights.sliceInto(&slices[i]) }
            if selfTeacher, !teacherSlices.isEmpty { weights.sliceInto(&teacherSlices[0]) }

            let threads = self.threads
            order.withUnsafeBufferPointer { ord in
                data.images.withUnsafeBufferPointer { img in data.labels.withUnsafeBufferPointer { lab in
                    shifts.withUnsafeBufferPointer { sh in
                        parallelFor(threads: threads) { t in
                            for k in stride(from: t, to: shards.count, by: threads) {
                                runShard(shards[k], worker: workers[t], batchStart: pos * batch, batch: batch,
                                         order: ord, images: img.baseAddress!, labels: lab.baseAddress!,
                                         shifts: recipe.augmentShift > 0 ? sh.baseAddress! : nil,
                                         terms: terms, slices: slices, teacher: teacherSlices,
                                         temperature: stage.temperature)
                            }
                        }
                    }
                } }
            }

            var g = CNNWeights()
            for i in terms.indices { for sh in shards { g.addScattered(sh.grads[i]) } }
            adam.step(params: &params, grad: g.flattened, lr: stage.lr.rate(step: step, of: totalSteps))
            weights = CNNWeights(flattened: params) ?? weights

            var stepLoss: Float = 0
            for sh in shards { stepLoss += sh.loss[0]; epochCorrect += sh.correct[0] }
            epochLoss += Double(stepLoss)
            epochSeen += batch
            if let progress {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                progress.update(step: step + 1, epoch: step / stepsPerEpoch + 1,
                                loss: Float(epochLoss / Double(epochSeen)),
                                accuracy: Double(epochCorrect) / Double(epochSeen),
                                imagesPerSecond: Double((step + 1) * batch) / max(elapsed, 1e-9))
            }
        }
        if epochSeen > 0 {
            lastLoss = Float(epochLoss / Double(epochSeen))
            lastAccuracy = Double(epochCorrect) / Double(epochSeen)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let report = StageReport(name: stage.name, seconds: seconds, loss: lastLoss, trainAccuracy: lastAccuracy,
                                 imagesPerSecond: Double(totalSteps * batch) / max(seconds, 1e-9))
        progress?.stageEnded(report)
        return report
    }

    /// Forward and backward of every loss term on one shard's images, into the shard's own
    /// gradients and statistics (touches nothing another shard or thread writes).
    private func runShard(_ shard: Shard, worker wk: Worker, batchStart: Int, batch: Int,
                          order: UnsafeBufferPointer<Int>, images: UnsafePointer<UInt8>, labels: UnsafePointer<UInt8>,
                          shifts: UnsafePointer<Int8>?, terms: [LossTerm], slices: [SubnetWeights],
                          teacher: [SubnetWeights], temperature: Float) {
        let n = shard.range.count
        for i in terms.indices { shard.grads[i].zero(); shard.loss[i] = 0; shard.correct[i] = 0 }
        guard n > 0 else { return }
        let lo = batchStart + shard.range.lowerBound
        wk.pass.load(images: images, labels: labels, indices: UnsafeBufferPointer(rebasing: order[lo..<(lo + n)]),
                     shifts: shifts.map { $0 + 2 * shard.range.lowerBound })
        if !teacher.isEmpty {
            wk.pass.forwardMean(teacher, n: n)
            wk.teacherLogits.update(from: wk.pass.logits, count: n * CNN.classes)
        }
        for (i, term) in terms.enumerated() {
            wk.pass.forward(slices[i], n: n)
            let scale = Float(n) / Float(batch) * term.weight
            let r = wk.pass.crossEntropy(n: n, scale: scale)
            if term.distill > 0, !teacher.isEmpty {
                wk.pass.mixDistillation(teacher: wk.teacherLogits, n: n, share: term.distill,
                                        temperature: temperature, scale: scale)
            }
            wk.pass.backward(slices[i], n: n, into: &shard.grads[i])
            shard.loss[i] = r.loss * Float(n)
            shard.correct[i] = r.correct
        }
    }
}
