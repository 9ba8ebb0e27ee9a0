import Dispatch
import Foundation

/// From a kind and a few knobs to a trained, evaluated `ModelFile` — what `fluid train`
/// and `scripts/train-models.sh` run, kept here so tests drive the same path.
public enum ModelTraining {
    /// Fluid schedules `fluid train --schedule` accepts.
    public static let fluidSchedules = ["paper", "halves"]
    /// The schedule of the shipped Fluid file (see README: it holds the claims best).
    public static let defaultFluidSchedule = "halves"

    public struct Options: Sendable {
        public var kind: ModelKind
        public var schedule: String?
        public var connectivity: Connectivity?
        /// Epochs per step: one value for every step, or one per step in schedule order
        /// (static: 100; dynamic: 25,50,75,100; fluid: 25,50,u25,u50,75,100,fine-tune).
        public var epochs: [Double]?
        public var iterations: Int = 2
        public var seed: UInt64 = 1
        public var maxLR: Float = Schedules.defaultMaxLR
        public var augmentShift: Int = 0

        public init(kind: ModelKind) { self.kind = kind }
    }

    public static func recipe(_ o: Options) throws -> TrainingRecipe {
        func ep(_ i: Int, _ fallback: Double) -> Double {
            guard let e = o.epochs, !e.isEmpty else { return fallback }
            return e.count == 1 ? e[0] : (i < e.count ? e[i] : fallback)
        }
        var r: TrainingRecipe
        switch o.kind {
        case .static:
            r = Schedules.staticModel(epochs: ep(0, 5), maxLR: o.maxLR, seed: o.seed)
        case .dynamic:
            r = Schedules.dynamicModel(epochs: [ep(0, 4), ep(1, 4), ep(2, 3), ep(3, 3)], maxLR: o.maxLR, seed: o.seed)
        case .fluid:
            let d = Schedules.FluidEpochs()
            let fe = Schedules.FluidEpochs(s25: ep(0, d.s25), s50: ep(1, d.s50), u25: ep(2, d.u25), u50: ep(3, d.u50),
                                           s75: ep(4, d.s75), s100: ep(5, d.s100), fineTune: ep(6, d.fineTune))
            let conn = o.connectivity ?? .dense
            switch o.schedule ?? defaultFluidSchedule {
            case "paper":
                r = Schedules.fluidPaper(iterations: o.iterations, epochs: fe, connectivity: conn, maxLR: o.maxLR,
                                         seed: o.seed)
            case "halves":
                r = Schedules.fluidHalves(epochs: fe, connectivity: conn, maxLR: o.maxLR, seed: o.seed)
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
        return r
    }

    /// Trains `recipe` on `train` (its first `limit` images if given), evaluates every
    /// sub-network on `test`, and returns the model file with the recipe, data hashes,
    /// accuracies (`acc_25` … `acc_u50`, fractions) and training time in its metadata.
    public static func train(_ recipe: TrainingRecipe, train: MNISTSet, test: MNISTSet, limit: Int? = nil,
                             progress: TrainingProgress? = nil,
                             afterStage: ((Int, TrainingStage, CNNWeights) -> Void)? = nil) -> ModelFile {
        let trainer = Trainer(recipe: recipe)
        trainer.progress = progress
        trainer.afterStage = afterStage
        let start = DispatchTime.now().uptimeNanoseconds
        let reports = trainer.run(data: train, limit: limit)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var meta = recipe.metadata
        meta["train_seconds"] = fmt(seconds, 1)
        meta["train_images"] = "\(min(limit ?? train.count, train.count))"
        meta["train_stage_seconds"] = reports.map { "\($0.name) \(fmt($0.seconds, 1))" }.joined(separator: ", ")
        meta["data_train_images_sha256"] = MNIST.rawSHA256[MNIST.Split.train.imagesFile]
        meta["data_train_labels_sha256"] = MNIST.rawSHA256[MNIST.Split.train.labelsFile]
        meta["data_test_images_sha256"] = MNIST.rawSHA256[MNIST.Split.test.imagesFile]
        meta["test_images"] = "\(test.count)"
        let acc = Evaluator.accuracies(of: trainer.weights, on: test)
        for (name, a) in acc { meta["acc_\(name)"] = fmt(a, 4) }
        return ModelFile(weights: trainer.weights, kind: recipe.kind, connectivity: recipe.connectivity, metadata: meta)
    }
}

public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case unknownSchedule(String, allowed: [String])
    case fixedConnectivity(ModelKind, Connectivity)
    case badEpochs(String)

    public var description: String {
        switch self {
        case .unknownSchedule(let s, let allowed):
            return "unknown schedule '\(s)' (this kind accepts: \(allowed.joined(separator: ", ")))"
        case .fixedConnectivity(let k, let c):
            return "\(k.rawValue) models are always \(c.rawValue)"
        case .badEpochs(let s):
            return "bad --epochs '\(s)': give a number or a comma-separated list of numbers"
        }
    }
}
