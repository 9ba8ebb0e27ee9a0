import ArgumentParser

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay", abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("'fluid replay' is not implemented yet") }
}
