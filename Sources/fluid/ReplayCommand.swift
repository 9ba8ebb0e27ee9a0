import ArgumentParser
import FluidDashboard
import FluidTerminal
import Foundation

/// `fluid replay FILE.jsonl`: plays a recorded session log through the same
/// dashboard as `fluid demo` (space pause, +/- speed, q quit).
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a recorded session log (JSON Lines) through the dashboard.")

    @Argument(help: "A session log written by `fluid demo --record`, `r`, or `fluid run --log`.")
    var file: String

    @Option(help: "Playback speed (0.125 … 64); + and - change it while playing.")
    var speed: Double = 1

    @Flag(name: .customLong("no-color"), help: "Monochrome: attributes only (also when NO_COLOR is set).")
    var noColor = false

    @Option(name: .customLong("dump-at"),
            help: "Print the dashboard at SECONDS into the session as plain text (80×24) and exit; needs no terminal.")
    var dumpAt: Double?

    @Option(name: .customLong("cast"),
            help: "Write the whole replay as an asciicast v2 file (100×30, 4 frames/s) and exit; needs no terminal.")
    var castPath: String?

    func validate() throws {
        guard speed.isFinite, speed > 0 else { throw ValidationError("--speed must be a positive number") }
    }

    func run() throws {
        let log = try SessionLogParser.parse(contentsOf: file)
        let driver = ReplayDriver(log: log, name: file, speed: speed)
        let name = (file as NSString).lastPathComponent
        if let castPath {
            let frames = try CastExport.export(log, name: name, to: castPath,
                                               colour: Terminal.wantsColour(noColorFlag: noColor))
            print("wrote \(castPath): \(frames) frames, \(String(format: "%.1f", log.duration)) s")
            return
        }
        if let t = dumpAt {
            let ui = DashboardUIState(keyTable: .replay, title: "replay \(name)")
            print(Dashboard.render(driver.snapshot(at: t), ui: ui, rows: 24, columns: 80).text)
            return
        }
        let options = DashboardOptions(
            command: "fluid replay", colour: Terminal.wantsColour(noColorFlag: noColor), keyTable: .replay,
            title: "replay \(name)", redrawHz: 8)
        do {
            _ = try DashboardLoop(driver: driver, options: options).run()
        } catch let e as TerminalError {
            throw ReplayNoTerminal(underlying: e)
        }
    }
}

/// Without a TTY, say how to look at the log anyway.
struct ReplayNoTerminal: Error, CustomStringConvertible {
    let underlying: TerminalError
    var description: String {
        "\(underlying)\nTo look at a session log without a terminal: `fluid replay FILE --dump-at SECONDS`, or read the JSON Lines directly."
    }
}
