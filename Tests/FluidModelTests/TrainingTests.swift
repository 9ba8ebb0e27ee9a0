import FluidModel
import XCTest

/// The trainer: masks and freezes hold through training, files keep the zeros, it learns.
final class TrainingTests: XCTestCase {
    /// A two-stage triangular recipe on random images: stage 1 trains 25 (+ fc bias),
    /// stage 2 trains what 50 adds.
    private func tinyRecipe(seed: UInt64) -> TrainingRecipe {
        let lr = LRSchedule.constant(1e-2)
        return TrainingRecipe(kind: .dynamic, connectivity: .triangular, schedule: "test", stages: [
            TrainingStage(name: "25", losses: [LossTerm(.s25)], trainable: .slice(.s25) + .fcBias,
                          trainableDescription: "slice(25) + fc bias", epochs: 1, lr: lr),
            TrainingStage(name: "100", losses: [LossTerm(.s100), LossTerm(.u50, distill: 0.5)],
                          trainable: .slice(.s100) - .slice(.s25), trainableDescription: "100 − 25",
                          epochs: 1, lr: lr, teacher: .s100),
        ], seed: seed)
    }

    func testTriangularMaskAndFrozenSliceSurviveTraining() {
        let data = NetFixtures.randomImages(256, seed: 5)
        let trainer = Trainer(recipe: tinyRecipe(seed: 3))
        let before = trainer.weights
        XCTAssertNil(before.maskViolation(.triangular), "initial weights must be masked")
        trainer.runStage(trainer.recipe.stages[0], index: 0, data: data)
        let afterFirst = trainer.weights
        XCTAssert(afterFirst.slice(.s25) != before.slice(.s25), "stage 1 must train 25")
        XCTAssert(afterFirst.slice(channels: 4..<16) == before.slice(channels: 4..<16).withFCBias(afterFirst.fcBias),
                  "stage 1 must not touch channels outside 25")
        trainer.runStage(trainer.recipe.stages[1], index: 1, data: data)
        let after = trainer.weights
        XCTAssertNil(after.maskViolation(.triangular), "masked blocks must stay exactly zero")
        XCTAssert(after.slice(.s25) == afterFirst.slice(.s25), "frozen 25 slice (and fc bias) must be bit-exact")
        let changed = zip(after.conv3Weight, afterFirst.conv3Weight).filter { $0 != $1 }.count
        XCTAssertGreaterThan(changed, 100, "stage 2 must train conv3")
        XCTAssert(after.isFinite)
    }

    func testSameSeedSameWeights() {
        let data = NetFixtures.randomImages(192, seed: 6)
        let a = Trainer(recipe: tinyRecipe(seed: 9)), b = Trainer(recipe: tinyRecipe(seed: 9))
        a.run(data: data)
        b.run(data: data)
        XCTAssert(a.weights == b.weights, "training must be deterministic for a seed")
        let c = Trainer(recipe: tinyRecipe(seed: 10))
        c.run(data: data)
        XCTAssert(a.weights != c.weights)
    }

    /// The shards fix the reduction order, so the thread count changes nothing, to the bit:
    /// one thread, two, and more threads than the machine has cores (and than some shards
    /// have images: a batch of 20 in 8 shards) give the same weights. With augmentation and
    /// a distilling term so every per-shard input (shifts, teacher logits) is exercised.
    func testWeightsDoNotDependOnTheThreadCount() {
        let data = NetFixtures.randomImages(100, seed: 8)
        var recipe = tinyRecipe(seed: 12)
        recipe.batchSize = 20
        recipe.augmentShift = 2
        for i in recipe.stages.indices { recipe.stages[i].epochs = 0.5 }
        XCTAssertEqual(recipe.shards, 8)
        let counts = [1, 2, 3, ProcessInfo.processInfo.activeProcessorCount + 2]
        let trainers = counts.map { Trainer(recipe: recipe, threads: $0) }
        XCTAssertEqual(trainers.map(\.threads), counts.map { min($0, 8) })
        for t in trainers { t.run(data: data) }
        let one = trainers[0].weights
        XCTAssert(one != Trainer(recipe: recipe).weights, "training must change the weights")
        for (t, n) in zip(trainers.dropFirst(), counts.dropFirst()) {
            XCTAssertEqual(t.weights.flattened.map(\.bitPattern), one.flattened.map(\.bitPattern),
                           "\(n) threads must give the 1-thread weights bit for bit")
        }
        // The shard count is part of the recipe: another count is another (valid) result.
        var other = recipe
        other.shards = 3
        let t3 = Trainer(recipe: other, threads: 2)
        t3.run(data: data)
        XCTAssert(t3.weights.isFinite)
        XCTAssertEqual(t3.weights.maskViolation(.triangular), nil)
    }

    func testSavedFileKeepsMaskedBlocksExactlyZero() throws {
        let data = NetFixtures.randomImages(128, seed: 7)
        let trainer = Trainer(recipe: tinyRecipe(seed: 4))
        trainer.run(data: data)
        let path = NSTemporaryDirectory() + "fluid-h3-mask-\(getpid()).safetensors"
        defer { unlink(path) }
        try ModelFile(weights: trainer.weights, kind: .dynamic, connectivity: .triangular).write(path: path)
        let raw = try Safetensors.read(path: path)
        for name in ["conv2.weight", "conv3.weight"] {
            let v = try XCTUnwrap(raw[name]).f32Values(name: name, path: path)
            let c = CNN.fullWidth, g = CNN.groupWidth, taps = ConvLayer.taps
            for o in 0..<c { for i in 0..<c where i / g > o / g { for k in 0..<taps {
                XCTAssertEqual(v[(o * c + i) * taps + k].bitPattern, 0, "\(name)[\(o),\(i)] must be +0.0 in the file")
            } } }
            XCTAssert(v.contains { $0 != 0 })
        }
        XCTAssert(try ModelFile.load(path: path).weights == trainer.weights, "file round trip")
    }

    /// Real MNIST: 3000 images, static 100, two epochs: far above chance on held-out images.
    func testShortRunOnMNISTLearns() throws {
        let train = try NetFixtures.loadMNIST(.train)
        let test = try NetFixtures.loadMNIST(.test)
        let recipe = Schedules.staticModel(epochs: 2, seed: 1)
        let trainer = Trainer(recipe: recipe)
        trainer.run(data: train, limit: 3000)
        let acc = Evaluator.accuracy(of: trainer.weights, subnet: .s100, on: test, limit: 1000)
        XCTAssertGreaterThan(acc, 0.85, "3000 images × 2 epochs should reach well above chance (0.1)")
    }

    /// The composed backward (slices, fc permutation, pool/ReLU order) against finite
    /// differences of the loss, on an upper sub-network so channel offsets matter.
    func testBackwardMatchesFiniteDifferences() {
        let set = NetFixtures.randomImages(4, seed: 51)
        let w = NetFixtures.randomWeights(seed: 52, scale: 0.2)
        let subnet = Subnet.u50
        let pass = SubnetPass(capacity: 4)
        let idx = Array(0..<4)
        set.images.withUnsafeBufferPointer { img in set.labels.withUnsafeBufferPointer { lab in
            idx.withUnsafeBufferPointer { pass.load(images: img.baseAddress!, labels: lab.baseAddress!, indices: $0) }
        } }
        func loss(_ sw: SubnetWeights) -> Double {
            pass.forward(sw, n: 4)
            return Double(pass.crossEntropy(n: 4, scale: 1).loss)
        }
        let sw = w.slice(subnet)
        _ = loss(sw)
        var grad = SubnetWeights(zerosFor: subnet.channels)
        pass.backward(sw, n: 4, into: &grad)
        var rng = SplitMix64(seed: 53)
        let eps: Float = 1e-2
        var checked = 0, bad: [String] = []
        for (name, kp) in [("conv1", \SubnetWeights.conv1Weight), ("conv2", \SubnetWeights.conv2Weight),
                           ("conv3", \SubnetWeights.conv3Weight), ("fc", \SubnetWeights.fcWeight)] {
            for _ in 0..<6 {
                let k = rng.below(sw[keyPath: kp].count)
                var plus = sw, minus = sw
                plus[keyPath: kp][k] += eps
                minus[keyPath: kp][k] -= eps
                let numeric = (loss(plus) - loss(minus)) / Double(2 * eps)
                let analytic = Double(grad[keyPath: kp][k])
                checked += 1
                if abs(numeric - analytic) > 2e-3 + 0.1 * abs(numeric) { bad.append("\(name)[\(k)] \(analytic) vs \(numeric)") }
            }
        }
        // A max-pool or ReLU switch inside ±eps can spoil one probe; more than two is a bug.
        XCTAssertLessThanOrEqual(bad.count, 2, "gradient mismatches: \(bad)")
        XCTAssertEqual(checked, 24)
    }

    /// An ensemble teacher's logits are the mean of its models' logits (not their sum, not
    /// the last model's), and a one-model ensemble is a plain forward.
    func testForwardMeanAveragesTheModelsLogits() {
        let set = NetFixtures.randomImages(5, seed: 61)
        let models = (0..<3).map { NetFixtures.randomWeights(seed: 62 + UInt64($0), scale: 0.3).slice(.s100) }
        let pass = SubnetPass(capacity: 5)
        let idx = Array(0..<5)
        set.images.withUnsafeBufferPointer { img in set.labels.withUnsafeBufferPointer { lab in
            idx.withUnsafeBufferPointer { pass.load(images: img.baseAddress!, labels: lab.baseAddress!, indices: $0) }
        } }
        var each: [[Float]] = []
        for m in models {
            pass.forward(m, n: 5)
            each.append(Array(UnsafeBufferPointer(start: pass.logits, count: 50)))
        }
        XCTAssertNotEqual(each[0], each[1], "the fixture models must differ")
        pass.forwardMean(models, n: 5)
        for j in 0..<50 {
            XCTAssertEqual(pass.logits[j], (each[0][j] + each[1][j] + each[2][j]) / 3, accuracy: 1e-4, "logit \(j)")
        }
        pass.forwardMean([models[1]], n: 5)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: pass.logits, count: 50)), each[1])
    }

    /// Teachers reach every distilling stage and the metadata names each; a schedule that
    /// never distils refuses a teacher instead of ignoring it.
    func testTeachersAreUsedOrRefused() throws {
        let t1 = ModelFile(weights: NetFixtures.randomWeights(seed: 71), kind: .static, connectivity: .dense)
        var t2 = ModelFile(weights: NetFixtures.randomWeights(seed: 72), kind: .static, connectivity: .dense)
        t2.sha256 = "5e55"
        var o = ModelTraining.Options(kind: .fluid)
        o.schedule = "halves"
        o.teachers = [t1, t2]
        o.teacherPaths = ["a/s1.safetensors", "b/s2.safetensors"]
        let r = try ModelTraining.recipe(o)
        let distilling = r.stages.filter { $0.losses.contains { $0.distill > 0 } }
        XCTAssertFalse(distilling.isEmpty)
        for st in distilling { XCTAssertEqual(st.teacherWeights, [t1.weights, t2.weights], st.name) }
        let note = try XCTUnwrap(r.metadata["recipe_teacher"])
        XCTAssert(note.hasPrefix("ensemble of 2"), note)
        XCTAssert(note.contains("s1.safetensors") && note.contains("s2.safetensors") && note.contains("sha256 5e55"), note)

        o.schedule = "paper"
        XCTAssertThrowsError(try ModelTraining.recipe(o)) {
            XCTAssertEqual($0 as? TrainingError, .teacherUnused("paper"))
        }
    }

    func testShuffleIsARealPermutation() {
        var rng = SplitMix64(seed: 1)
        var a = Array(0..<1000)
        rng.shuffle(&a)
        XCTAssertEqual(Set(a).count, 1000)
        XCTAssertLessThan(zip(a, 0..<1000).filter { $0 == $1 }.count, 10, "a shuffle leaves few fixed points")
        let draws = (0..<1000).map { _ in rng.below(10) }
        XCTAssertEqual(Set(draws), Set(0..<10), "below(10) must reach every value")
    }

    func testOneCycleScheduleShape() {
        let s = LRSchedule.oneCycle(max: 1, warmup: 0.25)
        XCTAssertEqual(s.rate(step: 0, of: 101), 1.0 / 25, accuracy: 1e-6)
        XCTAssertEqual(s.rate(step: 25, of: 101), 1, accuracy: 1e-6)
        XCTAssertLessThan(s.rate(step: 100, of: 101), 1e-4)
    }
}

private extension SubnetWeights {
    func withFCBias(_ b: [Float]) -> SubnetWeights { var c = self; c.fcBias = b; return c }
}
