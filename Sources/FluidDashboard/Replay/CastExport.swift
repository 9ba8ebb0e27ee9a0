/// Renders a whole session log into an asciicast, without a terminal: the same
/// frames the replay would show, at `fps`, with a marker at each fault, plan and
/// mode event. (`fluid replay FILE --cast OUT.cast`.)
public enum CastExport {
    /// Returns the number of frames written.
    @discardableResult
    public static func export(_ log: SessionLog, name: String, to path: String, columns: Int = 100,
                              rows: Int = 30, fps: Double = 4, colour: Bool = true) throws -> Int {
        var t = 0.0
        let driver = ReplayDriver(log: log, name: name, clock: { 0 })
        let writer = try AsciicastWriter(path: path, columns: columns, rows: rows,
                                         title: "fluid replay \(name)", colour: colour, clock: { t })
        defer { writer.close() }
        let ui = DashboardUIState(keyTable: .replay, title: "replay \(name)")
        var lastSequence = 0
        var frames = 0
        let step = 1 / max(0.5, min(fps, 30))
        while true {
            var snap = driver.snapshot(at: t)
            snap.status = "recorded \(Format.clock(t))/\(Format.clock(log.duration))"
            for e in snap.events where e.sequence > lastSequence && e.isMarker { try writer.marker(e.text) }
            lastSequence = snap.events.last?.sequence ?? lastSequence
            try writer.frame(Dashboard.render(snap, ui: ui, rows: rows, columns: columns))
            frames += 1
            if t >= log.duration { break }
            t = min(log.duration, t + step)
        }
        return frames
    }
}
