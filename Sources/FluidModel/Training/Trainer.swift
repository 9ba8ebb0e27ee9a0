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
/// Every step: a batch is cut into two halves that two threads run through forward and
/// backward of each loss term on their own buffers; the compact gradients are scattered into
/// the store's shape in a fixed order (thread 0 then 1, term by term), so a seed gives the
/// same weights whatever the thread timing. Adam then changes only the stage's trainable
/// set intersected with the connectivity mask: frozen weights stay bit-exact and forbidden
/// blocks stay exactly zero.
public final class Trainer {
    public let recipe: TrainingRecipe
    public private(set) var weights: CNNWeights
    public var progress: TrainingProgress?
    /// Called after each stage (e.g. to evaluate while developing a recipe).
    public var afterStage: ((Int, TrainingStage, CNNWeights) -> Void)?
    let workers: [Worker]

    /// Per-thread state: buffers, per-term gradients, teacher logits, statistics.
    final class Worker {
        let pass: SubnetPass
        var grads: [SubnetWeights] = []
        let teacherLogits: UnsafeMutablePointer<Float>
        var loss: [Float] = []
        var correct: [Int] = []

        init(capacity: Int) {
            pass = SubnetPass(capacity: capacity)
            teacherLogits = .allocate(capacity: capacity * CNN.classes)
            teacherLogits.initialize(repeating: 0, count: capacity * CNN.classes)
        }
        deinit { teacherLogits.deallocate() }
    }

    public init(recipe: TrainingRecipe, initial: CNNWeights? = nil) {
        self.recipe = recipe
        var w = initial ?? CNNWeights.initial(seed: recipe.seed, connectivity: recipe.connectivity)
        w.applyMask(recipe.connectivity)
        weights = w
        let half = (recipe.batchSize + 1) / 2
        workers = [Worker(capacity: half), Worker(capacity: half)]
    }

    /// Runs every stage on `data` (the first `limit` images if given).
    @discardableResult
    public func run(data: MNISTSet, limit: Int? = nil) -> [StageReport] {
        var reports: [StageReport] = []
        for (i, stage) in recipe.stages.enumerated() {
            reports.append(runStage(stage, index: i, data: data, limit: limit))
            afterStage?(i, stage, weights)
        }
        return reports
    }

    @discardableResult
    public func runStage(_ stage: TrainingStage, index: Int, data: MNISTSet, limit: Int? = nil) -> StageReport {
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
        for wk in workers {
            wk.grads = terms.map { SubnetWeights(zerosFor: $0.subnet.channels) }
            wk.loss = [Float](repeating: 0, count: terms.count)
            wk.correct = [Int](repeating: 0, count: terms.count)
        }
        progress?.stageBegan(index: index, of: recipe.stages.count, stage: stage, totalSteps: totalSteps,
                             stepsPerEpoch: stepsPerEpoch)
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

            let half = (batch + 1) / 2
            order.withUnsafeBufferPointer { ord in
                data.images.withUnsafeBufferPointer { img in data.labels.withUnsafeBufferPointer { lab in
                    shifts.withUnsafeBufferPointer { sh in
                        DispatchQueue.concurrentPerform(iterations: 2) { t in
                            let lo = pos * batch + t * half
                            let n = min(half, batch - t * half)
                            let wk = workers[t]
                            let idx = UnsafeBufferPointer(rebasing: ord[lo..<(lo + n)])
                            wk.pass.load(images: img.baseAddress!, labels: lab.baseAddress!, indices: idx,
                                         shifts: recipe.augmentShift > 0 ? sh.baseAddress! + 2 * t * half : nil)
                            if !teacherSlices.isEmpty {
                                wk.pass.forwardMean(teacherSlices, n: n)
                                wk.teacherLogits.update(from: wk.pass.logits, count: n * CNN.classes)
                            }
                            for (i, term) in terms.enumerated() {
                                wk.grads[i].zero()
                                wk.pass.forward(slices[i], n: n)
                                let scale = Float(n) / Float(batch) * term.weight
                                let r = wk.pass.crossEntropy(n: n, scale: scale)
                                if term.distill > 0, !teacherSlices.isEmpty {
                                    wk.pass.mixDistillation(teacher: wk.teacherLogits, n: n, share: term.distill,
                                                            temperature: stage.temperature, scale: scale)
                                }
                                wk.pass.backward(slices[i], n: n, into: &wk.grads[i])
                                wk.loss[i] = r.loss * Float(n)
                                wk.correct[i] = r.correct
                            }
                        }
                    }
                } }
            }

            var g = CNNWeights()
            for i in terms.indices { for wk in workers { g.addScattered(wk.grads[i]) } }
            adam.step(params: &params, grad: g.flattened, lr: stage.lr.rate(step: step, of: totalSteps))
            weights = CNNWeights(flattened: params) ?? weights

            epochLoss += Double(workers[0].loss[0] + workers[1].loss[0])
            epochCorrect += workers[0].correct[0] + workers[1].correct[0]
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
}
