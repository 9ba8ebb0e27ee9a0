import ArgumentParser
import FluidDashboard
import FluidTerminal
import Foundation

/// `fluid replay FILE.jsonl`: plays a recorded session log through the same
/// dashboard as `fluid demo` (space pause, +/- speed, ←/→ seek 5 s, q quit).
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

    @Option(name: .customLong("svg"),
            help: "Write the dashboard at --dump-at SECONDS (default: the end) as an SVG picture and exit; needs no terminal.")
    var svgPath: String?
    @Option(name: .customLong("svg-size"), help: "COLUMNSxROWS of the --svg picture.")
    var svgSize: String = "100x30"

    var svgColumns: Int { Int(svgSize.split(separator: "x").first ?? "") ?? 100 }
    var svgRows: Int { Int(svgSize.split(separator: "x").last ?? "") ?? 30 }

    func validate() throws {
        let parts = svgSize.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, (60...400).contains(parts[0]), (18...200).contains(parts[1]) else {
            throw ValidationError("--svg-size must be COLUMNSxROWS within 60…400 × 18…200, not '\(svgSize)'")
        }
        guard speed.isFinite, speed > 0 else { throw ValidationError("--speed must be a positive number, not \(speed)") }
        if let t = dumpAt, !(t.isFinite && t >= 0) {
            throw ValidationError("--dump-at must be a non-negative number of seconds, not \(t)")
        }
    }

    func run() throws {
        let log = try SessionLogParser.parse(contentsOf: file)
        if let cut = log.cutLastLine {
            FileHandle.standardError.write(Data("fluid replay: \(file):\(cut): the last line is cut short (the writer stopped mid-line); replaying the lines before it\n".utf8))
        }
        if !ReplayDriver.speeds.contains(speed) {
            FileHandle.standardError.write(Data("fluid replay: --speed \(speed) clamped to \(ReplayDriver.speeds.lowerBound) … \(ReplayDriver.speeds.upperBound)\n".utf8))
        }
        let driver = ReplayDriver(log: log, name: file, speed: speed)
        let name = (file as NSString).lastPathComponent
        if let castPath {
            let frames = try CastExport.export(log, name: name, to: castPath,
                                               colour: Terminal.wantsColour(noColorFlag: noColor))
            print("wrote \(castPath): \(frames) frames, \(String(format: "%.1f", log.duration)) s")
            return
        }
        if let svgPath {
            let t = dumpAt ?? log.duration
            let ui = DashboardUIState(keyTable: .live, title: "Fluid demo")
            let screen = Dashboard.render(driver.snapshot(at: min(t, log.duration)), ui: ui, rows: svgRows, columns: svgColumns)
            try SVGRenderer().svg(screen).write(toFile: svgPath, atomically: true, encoding: .utf8)
            print("wrote \(svgPath): the dashboard at \(Format.clock(min(t, log.duration))) (\(svgColumns)×\(svgRows))")
            return
        }
        if let t = dumpAt {
            if t > log.duration {
                FileHandle.standardError.write(Data("fluid replay: --dump-at \(t) is past the end (\(log.duration) s): showing the end\n".utf8))
            }
            let ui = DashboardUIState(keyTable: .replay, title: "replay \(name)")
            print(Dashboard.render(driver.snapshot(at: min(t, log.duration)), ui: ui, rows: 24, columns: 80).text)
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
