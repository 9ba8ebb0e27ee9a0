import ArgumentParser

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("'fluid demo' is not implemented yet") }
}
