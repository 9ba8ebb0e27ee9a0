import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks: kernels, cluster, paper.")
    @Argument(help: "kernels | cluster | paper") var what: String
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    func run() throws { throw ValidationError("'fluid bench \(what)' is not implemented yet") }
}
