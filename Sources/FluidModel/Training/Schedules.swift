/// The training schedules of the three model kinds (DESIGN §2), as data: a list of stages,
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
    public static func staticModel(epochs: Double = 5, maxLR: Float = defaultMaxLR, seed: UInt64) -> TrainingRecipe {
        let stage = TrainingStage(name: "100", losses: [LossTerm(.s100)], trainable: .slice(.s100) + .fcBias,
                                  trainableDescription: "all", epochs: epochs, lr: .oneCycle(max: maxLR, warmup: 0.25))
        return TrainingRecipe(kind: .static, connectivity: .dense, schedule: "static", stages: [stage], seed: seed)
    }

    /// Dynamic (incremental training, triangular): 25, 50, 75, 100 in turn; each stage trains
    /// only the group its sub-network adds, the earlier groups frozen, so a smaller
    /// sub-network computes bit-exactly the same inside a larger one.
    ///
    /// The fc bias is trained in the first stage only and frozen after: every sub-network
    /// shares it, so changing it later would change the frozen smaller sub-networks' outputs
    /// and break the guarantee; it is 10 class offsets that balanced MNIST barely needs.
    public static func dynamicModel(epochs: [Double] = [4, 4, 3, 3], maxLR: Float = defaultMaxLR,
                                    seed: UInt64) -> TrainingRecipe {
        let nested: [Subnet] = [.s25, .s50, .s75, .s100]
        var stages: [TrainingStage] = []
        for (k, s) in nested.enumerated() {
            let e = epochs[min(k, epochs.count - 1)]
            if k == 0 {
                stages.append(TrainingStage(name: s.name, losses: [LossTerm(s)], trainable: .slice(s) + .fcBias,
                                            trainableDescription: "slice(\(s.name)) + fc bias", epochs: e,
                                            lr: .oneCycle(max: maxLR, warmup: 0.25)))
            } else {
                let prev = nested[k - 1]
                stages.append(TrainingStage(name: s.name, losses: [LossTerm(s)],
                                            trainable: .slice(s) - .slice(prev),
                                            trainableDescription: "slice(\(s.name)) − slice(\(prev.name))",
                                            epochs: e, lr: .oneCycle(max: maxLR, warmup: 0.25)))
            }
        }
        return TrainingRecipe(kind: .dynamic, connectivity: .triangular, schedule: "incremental",
                              stages: stages, seed: seed)
    }

    /// Epochs of each step of a Fluid schedule.
    public struct FluidEpochs: Sendable {
        public var s25: Double, s50: Double, u25: Double, u50: Double, s75: Double, s100: Double
        /// Epochs of a fine-tuning pass (paper iterations ≥ 2, the joint finish of `halves`).
        public var fineTune: Double
        public init(s25: Double = 4, s50: Double = 4, u25: Double = 4, u50: Double = 4,
                    s75: Double = 1, s100: Double = 3, fineTune: Double = 1) {
            self.s25 = s25; self.s50 = s50; self.u25 = u25; self.u50 = u50
            self.s75 = s75; self.s100 = s100; self.fineTune = fineTune
        }
    }

    /// Fluid, Algorithm 1 of the paper: `iterations` × (25 → 50 → 75 → 100 → u25 → u50).
    ///
    /// What is frozen (our design; a cyclic schedule with nothing frozen lets 25 collapse):
    /// - iteration 1 grows the network as Dynamic does — each step trains what its
    ///   sub-network adds over the previous one — then retrains u25's whole slice and what
    ///   u50 adds over u25 as independent networks;
    /// - from iteration 2 on, the joint steps 75 and 100 train only the *cross blocks*
    ///   (what they add over 50 ∪ u25, resp. 75 ∪ u50): the halves belong to the
    ///   independent networks, and the joint model adapts to them, not the other way round;
    ///   the half steps fine-tune their own slices at a decayed learning rate, so the drift
    ///   they cause in 100 shrinks over the iterations;
    /// - the fc bias is trained in the very first step only (see `dynamicModel`).
    public static func fluidPaper(iterations: Int = 2, epochs: FluidEpochs = FluidEpochs(),
                                  connectivity: Connectivity = .dense, maxLR: Float = defaultMaxLR,
                                  decay: Float = 0.3, seed: UInt64) -> TrainingRecipe {
        var stages: [TrainingStage] = []
        for it in 1...max(iterations, 1) {
            let first = it == 1
            var lrMax = maxLR
            for _ in 1..<it { lrMax *= decay }
            let lr = LRSchedule.oneCycle(max: lrMax, warmup: first ? 0.25 : 0.1)
            func e(_ base: Double) -> Double { first ? base : epochs.fineTune }
            func add(_ s: Subnet, _ set: ParameterSet, _ desc: String, _ ep: Double) {
                stages.append(TrainingStage(name: "\(s.name) it\(it)", losses: [LossTerm(s)], trainable: set,
                                            trainableDescription: desc, epochs: ep, lr: lr))
            }
            if first {
                add(.s25, .slice(.s25) + .fcBias, "slice(25) + fc bias", e(epochs.s25))
            } else {
                add(.s25, .slice(.s25), "slice(25)", e(epochs.s25))
            }
            add(.s50, .slice(.s50) - .slice(.s25), "slice(50) − slice(25)", e(epochs.s50))
            if first {
                add(.s75, .slice(.s75) - .slice(.s50), "slice(75) − slice(50)", e(epochs.s75))
                add(.s100, .slice(.s100) - .slice(.s75), "slice(100) − slice(75)", e(epochs.s100))
            } else {
                add(.s75, .slice(.s75) - .slice(.s50) - .slice(.u25), "slice(75) − slice(50) − slice(u25)",
                    e(epochs.s75))
                add(.s100, .slice(.s100) - .slice(.s75) - .slice(.u50), "slice(100) − slice(75) − slice(u50)",
                    e(epochs.s100))
            }
            add(.u25, .slice(.u25), "slice(u25)", e(epochs.u25))
            add(.u50, .slice(.u50) - .slice(.u25), "slice(u50) − slice(u25)", e(epochs.u50))
        }
        return TrainingRecipe(kind: .fluid, connectivity: connectivity, schedule: "paper", stages: stages, seed: seed)
    }

    /// Fluid, halves first (our schedule beside the paper's): the two halves are grown as
    /// independent networks exactly as Dynamic grows 50 (25, then 50 − 25; u25, then
    /// u50 − u25); then 100 trains only the cross blocks between the halves, which start
    /// from what the halves already do, so 100 begins as the sum of both halves' logits
    /// and can only gain; 75's loss rides along at half weight so the blocks it shares stay
    /// useful to it. An optional joint finish (`epochs.fineTune` > 0) trains everything on
    /// all deployed losses, distilling the halves from 100, at a low learning rate.
    public static func fluidHalves(epochs: FluidEpochs = FluidEpochs(), connectivity: Connectivity = .dense,
                                   maxLR: Float = defaultMaxLR, seed: UInt64) -> TrainingRecipe {
        let lr = LRSchedule.oneCycle(max: maxLR, warmup: 0.25)
        var stages: [TrainingStage] = [
            TrainingStage(name: "25", losses: [LossTerm(.s25)], trainable: .slice(.s25) + .fcBias,
                          trainableDescription: "slice(25) + fc bias", epochs: epochs.s25, lr: lr),
            TrainingStage(name: "50", losses: [LossTerm(.s50)], trainable: .slice(.s50) - .slice(.s25),
                          trainableDescription: "slice(50) − slice(25)", epochs: epochs.s50, lr: lr),
            TrainingStage(name: "u25", losses: [LossTerm(.u25)], trainable: .slice(.u25),
                          trainableDescription: "slice(u25)", epochs: epochs.u25, lr: lr),
            TrainingStage(name: "u50", losses: [LossTerm(.u50)], trainable: .slice(.u50) - .slice(.u25),
                          trainableDescription: "slice(u50) − slice(u25)", epochs: epochs.u50, lr: lr),
            TrainingStage(name: "100", losses: [LossTerm(.s100), LossTerm(.s75, weight: 0.5)],
                          trainable: .slice(.s100) - .slice(.s50) - .slice(.u50),
                          trainableDescription: "slice(100) − slice(50) − slice(u50) (cross blocks)",
                          epochs: epochs.s100, lr: lr),
        ]
        if epochs.fineTune > 0 {
            let d: Float = 0.5
            stages.append(TrainingStage(
                name: "joint", losses: [LossTerm(.s100), LossTerm(.s75, weight: 0.5),
                                        LossTerm(.s50, distill: d), LossTerm(.u50, distill: d),
                                        LossTerm(.s25, distill: d), LossTerm(.u25, distill: d)],
                trainable: .slice(.s100), trainableDescription: "slice(100) (fc bias frozen)",
                epochs: epochs.fineTune, lr: .oneCycle(max: maxLR * 0.2, warmup: 0.1), teacher: .s100))
        }
        return TrainingRecipe(kind: .fluid, connectivity: connectivity, schedule: "halves", stages: stages, seed: seed)
    }
}
