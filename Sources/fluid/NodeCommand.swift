import ArgumentParser

struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "node", abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("'fluid node' is not implemented yet") }
}
