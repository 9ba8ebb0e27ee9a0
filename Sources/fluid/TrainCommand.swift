import ArgumentParser
import FluidModel
import Foundation

/// `fluid train`: trains one model kind and writes its weight file (docs/model.md, docs/cli.md).
///
/// Mistakes in the options are `ValidationError`s (usage text, exit 64); what goes wrong
/// while running (a teacher or data file that cannot be read, an output that cannot be
/// written) is thrown as is: ArgumentParser prints "Error: <reason>" and exits 1.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a Static, Dynamic or Fluid model on MNIST and write its safetensors file.",
        discussion: """
        Epochs per step (--epochs, one number for all steps or a comma list in this order):
          static: 100 · dynamic: 25,50,75,100
          fluid halves: lower,upper,cross,joint,final-cross · fluid paper: 25,50,75,100,u25,u50,later-iterations
        --teacher FILE (Dynamic, Fluid halves; Static only as a control run): distil from that
        model's 100; repeat it for an ensemble whose logits are averaged (scripts/train-models.sh
        passes three Static seeds to Fluid, the shipped Static to Dynamic).
        The file's metadata records the recipe, the data hashes, the test accuracy of every
        sub-network (acc_25 … acc_u50) and the training time.
        """)

    /// Model kinds as options; kept apart from `ModelKind` so the CLI owns its argument parsing.
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case `static`, dynamic, fluid
        var model: ModelKind {
            switch self {
            case .static: return .static
            case .dynamic: return .dynamic
            case .fluid: return .fluid
            }
        }
    }
    enum Schedule: String, ExpressibleByArgument, CaseIterable {
        case paper, halves
    }
    enum Wiring: String, ExpressibleByArgument, CaseIterable {
        case dense, triangular
        var connectivity: Connectivity { self == .dense ? .dense : .triangular }
    }

    @Option(help: "static | dynamic | fluid") var kind: Kind
    @Option(help: "MNIST folder (raw or .gz IDX files); default: $FLUID_DATA, ./data/mnist, $MNIST_DIR.")
    var data: String?
    @Option(help: "Output file (default Assets/models/<kind>.safetensors).") var out: String?
    @Option(help: "Seed of initial weights, shuffles and augmentation.") var seed: UInt64 = 1
    @Option(help: "Fluid schedule: paper (Algorithm 1) | halves (default).") var schedule: Schedule?
    @Option(help: "Fluid connectivity: dense (default) | triangular.") var connectivity: Wiring?
    @Option(help: "Epochs per step: N or a comma list (see above).") var epochs: String?
    @Option(help: "Iterations of the paper schedule.") var iterations: Int = 2
    @Option(help: "Peak learning rate of Adam (one-cycle).") var lr: Float = Schedules.defaultMaxLR
    @Option(help: "Random shift of training images by up to N pixels (0 = off).") var augment: Int = 0
    @Option(help: "Train on the first N images only (quick runs).") var limit: Int?
    @Option(help: "Distillation teacher weight file, e.g. a Static model; repeat for an ensemble.")
    var teacher: [String] = []

    func run() throws {
        let k = kind.model
        var o = ModelTraining.Options(kind: k)
        o.schedule = schedule?.rawValue
        o.connectivity = connectivity?.connectivity
        if let e = epochs {
            let parts = e.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.count == e.split(separator: ",").count, parts.allSatisfy({ $0 > 0 }) else {
                throw ValidationError(TrainingError.badEpochs(e).description)
            }
            o.epochs = parts
        }
        o.iterations = iterations
        o.seed = seed
        o.maxLR = lr
        o.augmentShift = augment
        for t in teacher {
            o.teachers.append(try ModelFile.load(path: t))
            o.teacherPaths.append(t)
        }
        let recipe: TrainingRecipe
        do { recipe = try ModelTraining.recipe(o) } catch { throw ValidationError("\(error)") }

        guard let dir = data ?? MNIST.defaultDirectory() else { throw DataNotFound() }
        let train = try MNIST.load(directory: dir, split: .train)
        let test = try MNIST.load(directory: dir, split: .test)
        let path = out ?? "Assets/models/\(k.rawValue).safetensors"
        let progress = ConsoleProgress(model: k.rawValue)
        let line = "training \(k.rawValue) (\(recipe.schedule), \(recipe.connectivity.rawValue)), seed \(seed), "
            + "\(recipe.stages.count) stages, \(recipe.totalEpochs) epochs in all"
        FileHandle.standardError.write(Data((line + "\n").utf8))
        let file = ModelTraining.train(recipe, train: train, test: test, limit: limit, progress: progress)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent.isEmpty
                                                ? "." : (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let sha = try file.write(path: path)
        let accs = Subnet.all.map { "\($0.name) \(file.metadata["acc_\($0.name)"] ?? "?")" }.joined(separator: "  ")
        print("wrote \(path) (sha256 \(sha.prefix(16))…) in \(file.metadata["train_seconds"] ?? "?") s; test accuracy: \(accs)")
    }
}

/// No MNIST folder given and none found where `fluid` looks: a runtime failure (exit 1),
/// not a usage mistake.
struct DataNotFound: Error, CustomStringConvertible {
    var description: String { "no MNIST data found: run `make data`, or pass --data DIR / set MNIST_DIR" }
}
