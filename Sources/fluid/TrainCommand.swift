import ArgumentParser
import FluidModel
import Foundation

/// `fluid train`: trains one model kind and writes its weight file (docs/model.md, docs/cli.md).
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

    @Option(help: "static | dynamic | fluid") var kind: String
    @Option(help: "MNIST folder (raw or .gz IDX files); default: $FLUID_DATA, ./data/mnist, $MNIST_DIR.")
    var data: String?
    @Option(help: "Output file (default Assets/models/<kind>.safetensors).") var out: String?
    @Option(help: "Seed of initial weights, shuffles and augmentation.") var seed: UInt64 = 1
    @Option(help: "Fluid schedule: paper (Algorithm 1) | halves (default).") var schedule: String?
    @Option(help: "Fluid connectivity: dense (default) | triangular.") var connectivity: String?
    @Option(help: "Epochs per step: N or a comma list (see above).") var epochs: String?
    @Option(help: "Iterations of the paper schedule.") var iterations: Int = 2
    @Option(help: "Peak learning rate of Adam (one-cycle).") var lr: Float = Schedules.defaultMaxLR
    @Option(help: "Random shift of training images by up to N pixels (0 = off).") var augment: Int = 0
    @Option(help: "Train on the first N images only (quick runs).") var limit: Int?
    @Option(help: "Distillation teacher weight file, e.g. a Static model; repeat for an ensemble.")
    var teacher: [String] = []

    func run() throws {
        guard let k = ModelKind(rawValue: kind) else {
            throw ValidationError("unknown --kind '\(kind)' (static, dynamic, fluid)")
        }
        var o = ModelTraining.Options(kind: k)
        o.schedule = schedule
        if let c = connectivity {
            guard let conn = Connectivity(rawValue: c) else {
                throw ValidationError("unknown --connectivity '\(c)' (dense, triangular)")
            }
            o.connectivity = conn
        }
        if let e = epochs {
            let parts = e.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! > 0 }) else {
                throw ValidationError(TrainingError.badEpochs(e).description)
            }
            o.epochs = parts.map { $0! }
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

        guard let dir = data ?? MNIST.defaultDirectory() else {
            throw ValidationError("no MNIST data found: run `make data`, or pass --data DIR / set MNIST_DIR")
        }
        let train = try MNIST.load(directory: dir, split: .train)
        let test = try MNIST.load(directory: dir, split: .test)
        let path = out ?? "Assets/models/\(k.rawValue).safetensors"
        let progress = ConsoleProgress(model: k.rawValue)
        let line = "training \(k.rawValue) (\(recipe.schedule), \(recipe.connectivity.rawValue)), seed \(seed), "
            + "\(recipe.stages.count) stages, \(recipe.totalEpochs) epochs in all"
        FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
        let file = ModelTraining.train(recipe, train: train, test: test, limit: limit, progress: progress)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent.isEmpty
                                                ? "." : (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let sha = try file.write(path: path)
        let accs = Subnet.all.map { "\($0.name) \(file.metadata["acc_\($0.name)"] ?? "?")" }.joined(separator: "  ")
        print("wrote \(path) (sha256 \(sha.prefix(16))…) in \(file.metadata["train_seconds"] ?? "?") s; test accuracy: \(accs)")
    }
}
