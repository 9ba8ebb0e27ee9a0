/// The training schedules of the three model kinds (docs/model.md), as data: a list of stages,
/// each saying which losses drive it and which parameters it may change.
///
/// Notation in stage descriptions: slice(S) = every weight sub-network S reads (conv rows S
/// over columns S, conv1 rows S, their biases, fc columns of S's features); the fc bias is
/// named separately because every sub-network shares it.
public enum Schedules {
    /// Default peak learning rate of Adam under one-cycle (chosen on this network: 3e-3 and
    /// 1e-2 both train C=16; 5e-3 was the best of the three in 4 epochs).
    public static let defaultMaxLR: Float = 5e-3

    /// Static: the dense `100` network, plain training.
    /// With `teachers` (a control experiment, not the shipped recipe), `100` distils from
    /// them as Fluid's `100` does (share 0.5, T = 4).
    package static func staticModel(epochs: Double = 5, maxLR: Float = defaultMaxLR, teachers: [CNNWeights] = [],
                                   seed: UInt64) -> TrainingRecipe {
        var stage = TrainingStage(name: "100", losses: [LossTerm(.s100, distill: teachers.isEmpty ? 0 : 0.5)],
                                  trainable: .slice(.s100) + .fcBias, trainableDescription: "all", epochs: epochs,
                                  lr: .oneCycle(max: maxLR, warmup: 0.25), teacher: teachers.isEmpty ? nil : .s100,
                                  temperature: 4)
        stage.teacherWeights = teachers
        return TrainingRecipe(kind: .static, connectivity: .dense, schedule: "static", stages: [stage], seed: seed)
    }

    /// Dynamic (incremental training, triangular): 25, 50, 75, 100 in turn; each stage trains
    /// only the group its sub-network adds, the earlier groups frozen, so a smaller
    /// sub-network computes bit-exactly the same inside a larger one.
    ///
    /// The fc bias is trained in the first stage only and frozen after: every sub-network
    /// shares it, so changing it later would change the frozen smaller sub-networks' outputs
    /// and break the guarantee; it is 10 class offsets that balanced MNIST barely needs.
    ///
    /// With `teachers` (Static models; several = logits averaged), every stage also distils
    /// from them (share `distill`, temperature 4): with the earlier groups frozen and already
    /// right on ~97 % of the training set, plain cross-entropy leaves the new group almost no
    /// signal, while the teacher's soft targets give it one on every image (measured: 50
    /// 97.7 → 98.3 %).
    package static func dynamicModel(epochs: [Double] = [6, 6, 4, 4], maxLR: Float = defaultMaxLR,
                                    teachers: [CNNWeights] = [], distill: Float = 0.9,
                                    seed: UInt64) -> TrainingRecipe {
        let nested: [Subnet] = [.s25, .s50, .s75, .s100]
        var stages: [TrainingStage] = []
        for (k, s) in nested.enumerated() {
            let e = epochs[min(k, epochs.count - 1)]
            let prev = k > 0 ? nested[k - 1] : nil
            var stage = TrainingStage(
                name: s.name, losses: [LossTerm(s, distill: teachers.isEmpty ? 0 : distill)],
                trainable: prev.map { .slice(s) - .slice($0) } ?? .slice(s) + .fcBias,
                trainableDescription: prev.map { "slice(\(s.name)) − slice(\($0.name))" } ?? "slice(\(s.name)) + fc bias",
                epochs: e, lr: .oneCycle(max: maxLR, warmup: 0.25),
                teacher: teachers.isEmpty ? nil : .s100, temperature: 4)
            stage.teacherWeights = teachers
            stages.append(stage)
        }
        return TrainingRecipe(kind: .dynamic, connectivity: .triangular, schedule: "incremental",
                              stages: stages, seed: seed)
    }

    /// Fluid, Algorithm 1 of the paper: `iterations` × (25 → 50 → 75 → 100 → u25 → u50).
    /// `epochs` = [25, 50, 75, 100, u25, u50, later-iteration fine-tune] epochs.
    ///
    /// What is frozen (our design; a cyclic schedule with nothing frozen lets 25 collapse):
    /// - 25 trains its slice (and, in the very first step only, the fc bias: see
    ///   `dynamicModel`); 50 trains what it adds over 25; u25 its slice; u50 what it adds
    ///   over u25 — the halves are independent networks and only their own steps touch them;
    /// - the joint steps 75 and 100 train only the *cross blocks* (what they add over
    ///   50 ∪ u25, resp. 75 ∪ u50): the joint model adapts to the halves, never the other way
    ///   round. (Letting 75 train u25's rows in context, as a literal reading would, left
    ///   them dead for u25 alone: u25 stayed at 11 % through its own step.)
    /// - iterations after the first fine-tune every step at a decayed learning rate, so the
    ///   drift the final u25/u50 steps cause in 75/100 shrinks over the iterations.
    package static func fluidPaper(iterations: Int = 2, epochs: [Double] = [4, 4, 1, 3, 4, 4, 1],
                                  connectivity: Connectivity = .dense, maxLR: Float = defaultMaxLR,
                                  decay: Float = 0.3, seed: UInt64) -> TrainingRecipe {
        func ep(_ i: Int) -> Double { epochs[min(i, epochs.count - 1)] }
        var stages: [TrainingStage] = []
        for it in 1...max(iterations, 1) {
            let first = it == 1
            var lrMax = maxLR
            for _ in 1..<it { lrMax *= decay }
            let lr = LRSchedule.oneCycle(max: lrMax, warmup: first ? 0.25 : 0.1)
            func add(_ s: Subnet, _ set: ParameterSet, _ desc: String, _ i: Int) {
                stages.append(TrainingStage(name: "\(s.name) it\(it)", losses: [LossTerm(s)], trainable: set,
                                            trainableDescription: desc, epochs: first ? ep(i) : ep(6), lr: lr))
            }
            if first {
                add(.s25, .slice(.s25) + .fcBias, "slice(25) + fc bias", 0)
            } else {
                add(.s25, .slice(.s25), "slice(25)", 0)
            }
            add(.s50, .slice(.s50) - .slice(.s25), "slice(50) − slice(25)", 1)
            add(.s75, .slice(.s75) - .slice(.s50) - .slice(.u25), "slice(75) − slice(50) − slice(u25)", 2)
            add(.s100, .slice(.s100) - .slice(.s75) - .slice(.u50), "slice(100) − slice(75) − slice(u50)", 3)
            add(.u25, .slice(.u25), "slice(u25)", 4)
            add(.u50, .slice(.u50) - .slice(.u25), "slice(u50) − slice(u25)", 5)
        }
        return TrainingRecipe(kind: .fluid, connectivity: connectivity, schedule: "paper", stages: stages, seed: seed)
    }

    /// Fluid, halves first (our schedule beside the paper's). `epochs` = [lower, upper,
    /// cross, joint, final cross].
    ///
    /// 1. lower: 50 and 25 trained together (both losses, all of slice(50) + fc bias), as
    ///    independent networks; 2. upper: u50 and u25 the same on slice(u50) (fc bias
    ///    frozen from here on: shared by all); 3. cross: only the blocks between the halves,
    ///    on 100's loss (+ 75's at half weight) — 100 starts as the sum of both halves'
    ///    logits and can only gain; 4. joint: everything on all deployed losses (100 at
    ///    weight 4), the smaller sub-networks distilling from the teacher; 5. final
    ///    cross: 100's cross blocks alone again, which lifts 100 without touching any half.
    /// The teacher is `teachers` (the Static model(s), logits averaged) when given, else 100 itself.
    package static func fluidHalves(epochs: [Double] = [5, 5, 2, 8, 3], connectivity: Connectivity = .dense,
                                   maxLR: Float = defaultMaxLR, teachers: [CNNWeights] = [],
                                   seed: UInt64) -> TrainingRecipe {
        func ep(_ i: Int) -> Double { epochs[min(i, epochs.count - 1)] }
        let lr = LRSchedule.oneCycle(max: maxLR, warmup: 0.25)
        let cross = ParameterSet.slice(.s100) - .slice(.s50) - .slice(.u50)
        let crossDesc = "slice(100) − slice(50) − slice(u50) (cross blocks)"
        let d: Float = 0.7, d100: Float = teachers.isEmpty ? 0 : 0.5
        var stages: [TrainingStage] = [
            TrainingStage(name: "lower", losses: [LossTerm(.s50), LossTerm(.s25)], trainable: .slice(.s50) + .fcBias,
                          trainableDescription: "slice(50) + fc bias", epochs: ep(0), lr: lr),
            TrainingStage(name: "upper", losses: [LossTerm(.u50), LossTerm(.u25)], trainable: .slice(.u50),
                          trainableDescription: "slice(u50)", epochs: ep(1), lr: lr),
            TrainingStage(name: "cross", losses: [LossTerm(.s100), LossTerm(.s75, weight: 0.5)],
                          trainable: cross, trainableDescription: crossDesc, epochs: ep(2), lr: lr),
        ]
        var joint = TrainingStage(
            name: "joint", losses: [LossTerm(.s100, weight: 4, distill: d100), LossTerm(.s75, weight: 0.5, distill: d),
                                    LossTerm(.s50, distill: d), LossTerm(.u50, distill: d),
                                    LossTerm(.s25, distill: d), LossTerm(.u25, distill: d)],
            trainable: .slice(.s100), trainableDescription: "slice(100) (fc bias frozen)",
            epochs: ep(3), lr: .oneCycle(max: maxLR * 0.6, warmup: 0.1), teacher: .s100, temperature: 4)
        joint.teacherWeights = teachers
        stages.append(joint)
        if ep(4) > 0 {
            var final = TrainingStage(
                name: "final cross", losses: [LossTerm(.s100, distill: d100), LossTerm(.s75, weight: 0.5, distill: d)],
                trainable: cross, trainableDescription: crossDesc, epochs: ep(4),
                lr: .oneCycle(max: maxLR * 0.4, warmup: 0.1), teacher: .s100, temperature: 4)
            final.teacherWeights = teachers
            stages.append(final)
        }
        return TrainingRecipe(kind: .fluid, connectivity: connectivity, schedule: "halves", stages: stages, seed: seed)
    }
}
