import ArgumentParser

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("'fluid eval' is not implemented yet") }
}
