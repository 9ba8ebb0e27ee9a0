import Dispatch
import Foundation

/// From a kind and a few knobs to a trained, evaluated `ModelFile` — what `fluid train`
/// and `scripts/train-models.sh` run, kept here so tests drive the same path.
public enum ModelTraining {
    /// Fluid schedules `fluid train --schedule` accepts.
    package static let fluidSchedules = ["paper", "halves"]
    /// The schedule of the shipped Fluid file (see README: it holds the claims best).
    package static let defaultFluidSchedule = "halves"

    public struct Options: Sendable {
        public var kind: ModelKind
        public var schedule: String?
        public var connectivity: Connectivity?
        /// Epochs per step: one value for every step, or one per step in schedule order
        /// (static: 100; dynamic: 25,50,75,100; fluid halves: lower,upper,cross,joint,final;
        /// fluid paper: 25,50,75,100,u25,u50,later iterations).
        public var epochs: [Double]?
        public var iterations: Int = 2
        public var seed: UInt64 = 1
        public var maxLR: Float = Schedules.defaultMaxLR
        public var augmentShift: Int = 0
        /// Distillation teachers (Dynamic, Fluid halves): normally Static model files; several
        /// form an ensemble whose `100` logits are averaged.
        public var teachers: [ModelFile] = []
        /// Where each teacher came from, for the metadata.
        public var teacherPaths: [String] = []

        public init(kind: ModelKind) { self.kind = kind }
    }

    public static func recipe(_ o: Options) throws -> TrainingRecipe {
        func list(_ defaults: [Double]) -> [Double] {
            guard let e = o.epochs, !e.isEmpty else { return defaults }
            if e.count == 1 { return defaults.map { _ in e[0] } }
            return defaults.indices.map { $0 < e.count ? e[$0] : defaults[$0] }
        }
        let teachers = o.teachers.map(\.weights)
        var r: TrainingRecipe
        switch o.kind {
        case .static:
            r = Schedules.staticModel(epochs: list([5])[0], maxLR: o.maxLR, teachers: teachers, seed: o.seed)
        case .dynamic:
            r = Schedules.dynamicModel(epochs: list([6, 6, 4, 4]), maxLR: o.maxLR, teachers: teachers, seed: o.seed)
        case .fluid:
            let conn = o.connectivity ?? .dense
            switch o.schedule ?? defaultFluidSchedule {
            case "paper":
                r = Schedules.fluidPaper(iterations: o.iterations, epochs: list([4, 4, 1, 3, 4, 4, 1]),
                                         connectivity: conn, maxLR: o.maxLR, seed: o.seed)
            case "halves":
                r = Schedules.fluidHalves(epochs: list([5, 5, 2, 8, 3]), connectivity: conn, maxLR: o.maxLR,
                                          teachers: teachers, seed: o.seed)
            case let other:
                throw TrainingError.unknownSchedule(other, allowed: fluidSchedules)
            }
        }
        if o.kind != .fluid, let s = o.schedule, s != r.schedule {
            throw TrainingError.unknownSchedule(s, allowed: [r.schedule])
        }
        if o.kind != .fluid, let c = o.connectivity, c != r.connectivity {
            throw TrainingError.fixedConnectivity(o.kind, r.connectivity)
        }
        r.augmentShift = o.augmentShift
        if !o.teachers.isEmpty, !r.stages.contains(where: { !$0.teacherWeights.isEmpty }) {
            throw TrainingError.teacherUnused(r.schedule)
        }
        if !o.teachers.isEmpty {
            let notes = o.teachers.enumerated().map { i, t in
                let name = i < o.teacherPaths.count ? (o.teacherPaths[i] as NSString).lastPathComponent : "file \(i + 1)"
                return "\(name) (kind \(t.kind.rawValue), sha256 \(t.sha256), acc_100 \(t.metadata["acc_100"] ?? "?"))"
            }
            r.teacherNote = (o.teachers.count > 1 ? "ensemble of \(o.teachers.count), logits averaged: " : "")
                + notes.joined(separator: "; ")
        }
        return r
    }

    /// Trains `recipe` on `train` (its first `limit` images if given), evaluates every
    /// sub-network on `test`, and returns the model file with the recipe, data hashes,
    /// accuracies (`acc_25` … `acc_u50`, fractions) and training time in its metadata.
    public static func train(_ recipe: TrainingRecipe, train: MNISTSet, test: MNISTSet, limit: Int? = nil,
                             progress: (any TrainingProgress)? = nil,
                             afterStage: ((Int, TrainingStage, CNNWeights) -> Void)? = nil) -> ModelFile {
        let trainer = Trainer(recipe: recipe)
        trainer.progress = progress
        trainer.afterStage = afterStage
        let start = DispatchTime.now().uptimeNanoseconds
        let reports = trainer.run(data: train, limit: limit)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var meta = recipe.metadata
        meta["train_seconds"] = FixedPoint.string(seconds, digits: 1)
        meta["train_images"] = "\(min(limit ?? train.count, train.count))"
        meta["train_stage_seconds"] = reports.map { "\($0.name) \(FixedPoint.string($0.seconds, digits: 1))" }.joined(separator: ", ")
        meta["data_train_images_sha256"] = MNIST.rawSHA256[MNIST.Split.train.imagesFile]
        meta["data_train_labels_sha256"] = MNIST.rawSHA256[MNIST.Split.train.labelsFile]
        meta["data_test_images_sha256"] = MNIST.rawSHA256[MNIST.Split.test.imagesFile]
        meta["test_images"] = "\(test.count)"
        let acc = Evaluator.accuracies(of: trainer.weights, on: test)
        for (name, a) in acc { meta["acc_\(name)"] = FixedPoint.string(a, digits: 4) }
        return ModelFile(weights: trainer.weights, kind: recipe.kind, connectivity: recipe.connectivity, metadata: meta)
    }
}

public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case unknownSchedule(String, allowed: [String])
    case fixedConnectivity(ModelKind, Connectivity)
    case badEpochs(String)
    case teacherUnused(String)

    public var description: String {
        switch self {
        case .unknownSchedule(let s, let allowed):
            return "unknown schedule '\(s)' (this kind accepts: \(allowed.joined(separator: ", ")))"
        case .fixedConnectivity(let k, let c):
            return "\(k.rawValue) models are always \(c.rawValue)"
        case .teacherUnused(let s):
            return "--teacher is not used by the '\(s)' schedule (it distils in: static, dynamic, fluid halves)"
        case .badEpochs(let s):
            return "bad --epochs '\(s)': give a number or a comma-separated list of numbers"
        }
    }
}
