import ArgumentParser

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("'fluid train' is not implemented yet") }
}
