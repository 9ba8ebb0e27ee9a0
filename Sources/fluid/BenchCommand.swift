import ArgumentParser
import Foundation
import FluidModel

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: kernels (single-thread SIMD core), cluster, paper (Fig. 2 online).")

    enum Suite: String, ExpressibleByArgument, CaseIterable {
        case kernels, cluster, paper
    }

    @Argument(help: "kernels | cluster | paper") var suite: Suite
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Option(help: "Measurement passes; each figure is the best of them.") var rounds = 3

    func run() throws {
        switch suite {
        case .kernels:
            let report = KernelBench.run(rounds: rounds)
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys]
                print(String(decoding: try enc.encode(report), as: UTF8.self))
            } else {
                print(KernelBench.table(report), terminator: "")
            }
        case .cluster, .paper:
            throw ValidationError("'fluid bench \(suite.rawValue)' is not implemented yet")
        }
    }
}
