import ArgumentParser
import Foundation
import FluidKernels

@main
struct Fluid: ParsableCommand {
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
    static func main() {
        if let problem = CPUFeatures.checkSupported() {
            FileHandle.standardError.write(Data("fluid: \(problem)\n".utf8))
            Foundation.exit(2)
        }
        main(nil)
    }
}
