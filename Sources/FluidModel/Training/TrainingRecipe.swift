/// One loss of a training stage: sub-network `subnet`'s cross-entropy times `weight`,
/// optionally mixed with distillation from the stage's teacher.
package struct LossTerm: Sendable, CustomStringConvertible {
    package var subnet: Subnet
    package var weight: Float
    /// Share of the distillation term: loss = (1 − d)·CE + d·T²·KL(teacher‖student). 0 = none.
    package var distill: Float

    package init(_ subnet: Subnet, weight: Float = 1, distill: Float = 0) {
        self.subnet = subnet
        self.weight = weight
        self.distill = distill
    }

    public var description: String {
        var s = subnet.name
        if weight != 1 { s += "×\(weight)" }
        if distill > 0 { s += "(kd \(distill))" }
        return s
    }
}

/// One step of a schedule: which losses, which parameters may change, for how long.
public struct TrainingStage: Sendable {
    public var name: String
    package var losses: [LossTerm]
    /// What the optimiser may change; everything else is frozen (and the connectivity mask
    /// is intersected in by the trainer, so forbidden blocks are never trainable).
    package var trainable: ParameterSet
    /// Human-readable form of `trainable` for the recipe metadata, e.g. "slice(50) − slice(25)".
    package var trainableDescription: String
    public var epochs: Double
    package var lr: LRSchedule
    /// Sub-network whose logits (no gradient) are the soft targets of distilling losses.
    public var teacher: Subnet?
    /// Weights the teacher runs on; several = an ensemble whose logits are averaged; empty =
    /// the store being trained (self-distillation).
    package var teacherWeights: [CNNWeights] = []
    package var temperature: Float

    package init(name: String, losses: [LossTerm], trainable: ParameterSet, trainableDescription: String,
                epochs: Double, lr: LRSchedule, teacher: Subnet? = nil, temperature: Float = 2) {
        self.name = name
        self.losses = losses
        self.trainable = trainable
        self.trainableDescription = trainableDescription
        self.epochs = epochs
        self.lr = lr
        self.teacher = teacher
        self.temperature = temperature
    }

    public var summary: String {
        let l = losses.map(\.description).joined(separator: "+")
        var s = "\(name): loss \(l); train \(trainableDescription); \(formatEpochs(epochs)) ep; \(lr)"
        if let teacher { s += "; teacher \(teacher.name) T=\(temperature)" }
        return s
    }
}

/// A whole training run: schedule, optimiser settings and seed. Recorded in the weight file.
public struct TrainingRecipe: Sendable {
    public var kind: ModelKind
    public var connectivity: Connectivity
    /// Schedule name, e.g. "static", "incremental", "paper", "halves".
    public var schedule: String
    public var stages: [TrainingStage]
    public var seed: UInt64
    public var batchSize: Int = 64
    /// Fixed slices of every batch whose gradients are computed apart and summed in shard
    /// order. Part of the recipe, not of the machine: the weights depend on it (float sums
    /// in another order round differently) but not on how many threads run the shards.
    package var shards: Int = 8
    /// Random translation of each training image by up to this many pixels (0 = off).
    public var augmentShift: Int = 0
    /// Which external teacher the distilling stages used, if any (for the metadata).
    package var teacherNote: String?

    public init(kind: ModelKind, connectivity: Connectivity, schedule: String,
                stages: [TrainingStage], seed: UInt64) {
        self.kind = kind
        self.connectivity = connectivity
        self.schedule = schedule
        self.stages = stages
        self.seed = seed
    }

    public var totalEpochs: Double { stages.reduce(0) { $0 + $1.epochs } }

    /// The recipe as metadata entries (all strings, as safetensors wants).
    public var metadata: [String: String] {
        var m: [String: String] = [
            "recipe_schedule": schedule,
            "recipe_optimizer": "adam(beta1 0.9, beta2 0.999, eps 1e-8, no weight decay), fresh per stage",
            "recipe_batch": "\(batchSize)",
            "recipe_shards": "\(shards)",
            "recipe_seed": "\(seed)",
            "recipe_augment": augmentShift > 0 ? "random shift ±\(augmentShift) px" : "none",
            "recipe_init": "He-uniform conv/fc weights (fan-in of the full layer), zero biases; mask applied",
            "recipe_stages": "\(stages.count)",
            "recipe_epochs_total": formatEpochs(totalEpochs),
        ]
        if let teacherNote { m["recipe_teacher"] = teacherNote }
        for (i, s) in stages.enumerated() { m[String(format2(i))] = s.summary }
        return m
    }

    private func format2(_ i: Int) -> String { i < 10 ? "recipe_stage_0\(i)" : "recipe_stage_\(i)" }
}

func formatEpochs(_ e: Double) -> String {
    e == e.rounded() ? "\(Int(e))" : "\(e)"
}
