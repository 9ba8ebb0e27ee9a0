import ArgumentParser
import FluidModel
import Foundation

/// `fluid eval`: accuracy of every sub-network of every weight file on the MNIST test set.
/// A weight or data file that cannot be read is an error with its reason (exit 1), not a
/// usage mistake.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Accuracy of every sub-network of weight files on the 10k MNIST test set.")

    @Option(name: .customLong("weights"), parsing: .upToNextOption,
            help: "Weight files (default Assets/models/{static,dynamic,fluid}.safetensors).")
    var weights: [String] = []
    @Option(help: "MNIST folder; default: $FLUID_DATA, ./data/mnist, $MNIST_DIR.") var data: String?
    @Option(help: "Evaluate the first N test images only.") var limit: Int?
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Flag(help: "Also print the accuracy of the files' `100` as an ensemble (logits averaged), e.g. a distillation teacher.")
    var ensemble = false

    func run() throws {
        let files = weights.isEmpty ? ModelKind.allCases.map { "Assets/models/\($0.rawValue).safetensors" } : weights
        guard let dir = data ?? MNIST.defaultDirectory() else { throw DataNotFound() }
        let test = try MNIST.load(directory: dir, split: .test)
        let count = min(limit ?? test.count, test.count)
        var rows: [(path: String, file: ModelFile, acc: [String: Double])] = []
        for path in files {
            let file = try ModelFile.load(path: path)
            rows.append((path, file, Evaluator.accuracies(of: file.weights, on: test, limit: count)))
        }
        if json {
            var parts: [String] = []
            for r in rows {
                let accs = Subnet.all.map { "\"\($0.name)\":\(fmt4(r.acc[$0.name] ?? 0))" }.joined(separator: ",")
                parts.append("{\"path\":\(quote(r.path)),\"kind\":\"\(r.file.kind.rawValue)\","
                    + "\"connectivity\":\"\(r.file.connectivity.rawValue)\",\"sha256\":\"\(r.file.sha256)\","
                    + "\"accuracy\":{\(accs)}}")
            }
            let ens = ensembleAccuracy(rows.map(\.file), test, count).map { ",\"ensemble_100\":\(fmt4($0))" } ?? ""
            print("{\"test_images\":\(count),\"files\":[\(parts.joined(separator: ","))]\(ens)}")
            return
        }
        print("accuracy (%) on \(count) MNIST test images")
        let header = ["file".padding(toLength: 34, withPad: " ", startingAt: 0), "kind   ", "conn  "]
            + Subnet.all.map { $0.name.leftPad(7) }
        print(header.joined(separator: " "))
        for r in rows {
            let name = (r.path as NSString).lastPathComponent
            var cols = [name.padding(toLength: 34, withPad: " ", startingAt: 0),
                        r.file.kind.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0),
                        String(r.file.connectivity.rawValue.prefix(6)).padding(toLength: 6, withPad: " ", startingAt: 0)]
            cols += Subnet.all.map { pct(r.acc[$0.name] ?? 0).leftPad(7) }
            print(cols.joined(separator: " "))
        }
        if let a = ensembleAccuracy(rows.map(\.file), test, count) {
            print("ensemble of the \(rows.count) files' 100 (logits averaged): \(pct(a))")
        }
    }

    /// With --ensemble and several files: accuracy of their `100`s, logits averaged.
    private func ensembleAccuracy(_ files: [ModelFile], _ test: MNISTSet, _ count: Int) -> Double? {
        guard ensemble, files.count > 1 else { return nil }
        return Evaluator.accuracy(ofEnsemble: files.map(\.weights), subnet: .s100, on: test, limit: count)
    }

    private func pct(_ a: Double) -> String { String(format: "%.2f", a * 100) }
    private func fmt4(_ a: Double) -> String { String(format: "%.4f", a) }
    private func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

fileprivate extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
