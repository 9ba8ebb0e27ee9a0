import FluidDashboard
import Foundation

/// How `fluid demo` / `fluid replay` run the dashboard.
public struct DashboardOptions {
    /// Named in the "needs a terminal" message: `fluid demo`, `fluid replay`.
    public var command: String
    public var colour: Bool
    public var readOnly: Bool
    public var keyTable: KeyTable
    public var title: String
    /// Redraws per second; 5 keeps the demo well under 5 % of a core.
    public var redrawHz: Double
    /// Where `r` (or `recordAtStart`) writes `.cast` + `.jsonl`; nil: `r` says so.
    public var recordDirectory: String?
    public var recordAtStart: Bool
    /// Where the loop reports what it cannot show on screen (never stdout/stderr).
    public var log: (String) -> Void

    public init(command: String = "fluid", colour: Bool = true, readOnly: Bool = false, keyTable: KeyTable = .live,
                title: String = "Fluid demo", redrawHz: Double = 5, recordDirectory: String? = nil,
                recordAtStart: Bool = false, log: @escaping (String) -> Void = { _ in }) {
        self.command = command
        self.colour = colour
        self.readOnly = readOnly
        self.keyTable = keyTable
        self.title = title
        self.redrawHz = redrawHz
        self.recordDirectory = recordDirectory
        self.recordAtStart = recordAtStart
        self.log = log
    }
}

/// Why the loop ended.
public enum DashboardExit: Equatable {
    case quit
    case signal(Int32)
    /// The driver could not go on; the text is for the user, printed after restore.
    case driverFailed(String)
}

/// The interactive loop: snapshot → render → flush, keys → key table → action.
/// The terminal is restored and the driver shut down on every way out.
public final class DashboardLoop {
    private let driver: DashboardDriver
    private let options: DashboardOptions
    private var ui: DashboardUIState
    private var frozen: DashboardSnapshot?
    private var recorder: SessionRecorder?
    private var lastSequence = 0
    private var messageUntil = 0.0

    public init(driver: DashboardDriver, options: DashboardOptions) {
        self.driver = driver
        self.options = options
        ui = DashboardUIState(keyTable: options.keyTable, readOnly: options.readOnly, title: options.title)
    }

    /// Runs until quit, a signal or a driver failure. Throws only when the
    /// terminal cannot be taken over (no TTY, bad TERM); the driver is shut down then too.
    public func run() throws -> DashboardExit {
        let signals = SignalWatcher()
        defer {
            signals.cancel()
            recorder?.close()
            driver.shutdown()
        }
        let terminal = try Terminal(colour: options.colour, command: options.command)
        defer { terminal.restore() }
        if options.recordAtStart { toggleRecording(size: terminal.size) }

        let frame = 1.0 / max(1, min(options.redrawHz, 30))
        var nextDraw = 0.0
        while true {
            if let sig = signals.signalReceived { return .signal(sig) }
            if let failure = driver.failure { return .driverFailed(failure) }
            let now = ProcessInfo.processInfo.systemUptime
            if now >= nextDraw {
                draw(terminal)
                nextDraw = now + frame
            }
            let wait = Int(max(0, nextDraw - ProcessInfo.processInfo.systemUptime) * 1000)
            guard let key = terminal.readKey(timeoutMs: max(1, wait)) else { continue }
            if key == .resize { nextDraw = 0; continue }
            let size = terminal.size
            guard let action = ui.action(for: key, rows: size.rows, columns: size.columns) else {
                if Dashboard.isTooSmall(rows: size.rows, columns: size.columns) { continue }
                if ui.helpVisible {
                    say("help is open: Esc closes it")
                } else if ui.readOnly, options.keyTable.action(for: key, readOnly: false)?.isFault == true {
                    say("read-only: \(key.display) is disabled")
                }
                nextDraw = 0
                continue
            }
            if handle(action, terminal: terminal) { return .quit }
            nextDraw = 0  // show the effect of a key at once
        }
    }

    /// Returns true to quit.
    private func handle(_ action: DashboardAction, terminal: Terminal) -> Bool {
        if ui.apply(action, page: Dashboard.eventRows(rows: terminal.size.rows)) { return true }
        if action == .toggleRecording {
            toggleRecording(size: terminal.size)
            return false
        }
        if action.isMarker {
            try? recorder?.mark("key: \(action.describe)")
            say(action.describe)
        }
        driver.perform(action)
        if let note = driver.takeMessage() { say(note) }
        // Freeze after the driver has seen the pause (a replay pauses its clock).
        if action == .togglePause { frozen = ui.paused ? driver.snapshot() : nil }
        return false
    }

    private func draw(_ terminal: Terminal) {
        var snap = (ui.paused ? frozen : nil) ?? driver.snapshot()
        snap.recording = recorder != nil
        if let note = driver.takeMessage() { say(note) }
        if ProcessInfo.processInfo.systemUptime > messageUntil { ui.message = nil }
        let size = terminal.size
        // Scrolled back, the view stays on the same events while new ones arrive below.
        if ui.eventScroll > 0 {
            ui.eventScroll += snap.events.filter { $0.sequence > lastSequence }.count
            ui.eventScroll = min(ui.eventScroll, max(0, snap.events.count - Dashboard.eventRows(rows: size.rows)))
        }
        let screen = Dashboard.render(snap, ui: ui, rows: size.rows, columns: size.columns)
        terminal.draw(screen)
        lastSequence = max(lastSequence, snap.events.last?.sequence ?? 0)
        if let r = recorder {
            do { try r.record(screen, snapshot: snap) } catch {
                options.log("recording stopped: \(error)")
                stopRecording()
                say("recording stopped: write failed")
            }
        }
    }

    private func toggleRecording(size: (rows: Int, columns: Int)) {
        if let r = recorder {
            stopRecording()
            say("recording saved: \(r.sessionLogPath) + .cast")
            return
        }
        guard let dir = options.recordDirectory else {
            say("nothing to record to (start with --record DIR)")
            return
        }
        do {
            let r = try SessionRecorder(directory: dir, columns: size.columns, rows: size.rows,
                                        colour: options.colour, title: options.title,
                                        lastEventSequence: lastSequence)
            try driver.setSessionLog(path: r.sessionLogPath)
            recorder = r
            options.log("recording to \(r.castPath) and \(r.sessionLogPath)")
            say("recording → \(r.sessionLogPath) + .cast")
        } catch {
            options.log("cannot record: \(error)")
            say("cannot record: \(error)")
        }
    }

    private func stopRecording() {
        recorder?.close()
        recorder = nil
        try? driver.setSessionLog(path: nil)
    }

    private func say(_ text: String) {
        ui.message = text
        // Long enough to read a path; a newer message replaces it at once.
        messageUntil = ProcessInfo.processInfo.systemUptime + 6
    }
}
