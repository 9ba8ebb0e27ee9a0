import ArgumentParser
import Foundation
import FluidKernels

@main
struct Fluid: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fluid",
        abstract: "Fluid Dynamic DNNs: distributed MNIST inference that survives a device failure.",
        subcommands: [
            DemoCommand.self, NodeCommand.self, RunCommand.self, KeygenCommand.self, TrainCommand.self,
            EvalCommand.self, BenchCommand.self, ReplayCommand.self,
        ],
        defaultSubcommand: DemoCommand.self
    )

    /// Refuse, with a clear message, a CPU that lacks what the kernels were built for
    /// (Package.swift sets the target CPU) instead of dying on an illegal instruction.
    static func main() async {
        if let problem = CPUFeatures.checkSupported() {
            FileHandle.standardError.write(Data("fluid: \(problem)\n".utf8))
            Foundation.exit(2)
        }
        refuseUnknownSubcommand()
        await main(nil)
    }

    /// `demo` takes no positional argument, so a bare word first is a mistyped
    /// subcommand: say so and list them, rather than "unexpected argument" from demo.
    static func refuseUnknownSubcommand() {
        let args = CommandLine.arguments.dropFirst()
        guard let first = args.first, !first.hasPrefix("-") else { return }
        let names = configuration.subcommands.map { $0._commandName }
        guard !names.contains(first), first != "help" else { return }
        FileHandle.standardError.write(Data("fluid: unknown subcommand '\(first)'. Subcommands: \(names.joined(separator: ", ")) (see `fluid help`)\n".utf8))
        Foundation.exit(64)
    }
}
