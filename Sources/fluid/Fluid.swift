import ArgumentParser

@main
struct Fluid: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fluid",
        abstract: "Fluid Dynamic DNNs: distributed MNIST inference that survives a device failure.",
        subcommands: [
            DemoCommand.self, NodeCommand.self, RunCommand.self, TrainCommand.self,
            EvalCommand.self, BenchCommand.self, ReplayCommand.self,
        ],
        defaultSubcommand: DemoCommand.self
    )
}
