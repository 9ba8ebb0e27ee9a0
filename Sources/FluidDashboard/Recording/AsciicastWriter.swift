import Foundation

/// Errors from recording; they name the file.
public struct RecordingError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// Writes an asciicast v2 file (https://docs.asciinema.org/manual/asciicast/v2/):
/// a header JSON object on the first line, then one JSON array per line:
/// `[time, "o", data]` for output (ANSI built from Screen diffs), `[time, "m", label]`
/// for markers (every fault and mode switch) and `[time, "r", "COLSxROWS"]` on resize.
/// Each line is written as it happens, so a crash leaves a playable prefix.
public final class AsciicastWriter {
    public let path: String
    private let handle: FileHandle
    private let start: Double
    private let clock: () -> Double
    private var renderer: ANSIRenderer
    private var previous: Screen?
    private var closed = false

    /// Creates (truncates) `path` and writes the header.
    /// - Parameter clock: seconds on any monotonic scale (tests pass a fake).
    public init(path: String, columns: Int, rows: Int, title: String? = nil, colour: Bool = true,
                clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let h = FileHandle(forWritingAtPath: path) else {
            throw RecordingError(path: path, problem: "cannot create the asciicast file")
        }
        handle = h
        self.clock = clock
        start = clock()
        renderer = ANSIRenderer(colour: colour)
        var header: [String: Any] = [
            "version": 2, "width": columns, "height": rows,
            "timestamp": Int(Date().timeIntervalSince1970),
            "env": ["TERM": ProcessInfo.processInfo.environment["TERM"] ?? "xterm-256color",
                    "SHELL": ProcessInfo.processInfo.environment["SHELL"] ?? "/bin/sh"],
        ]
        if let title { header["title"] = title }
        try writeLine(JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
    }

    deinit { close() }

    /// Seconds since the recording started.
    public var elapsed: Double { clock() - start }

    /// Records what changed since the last frame; nothing if nothing changed.
    public func frame(_ screen: Screen) throws {
        if let p = previous, p.rows != screen.rows || p.columns != screen.columns {
            try event("r", "\(screen.columns)x\(screen.rows)")
        }
        let data = renderer.diff(from: previous, to: screen)
        previous = screen
        if !data.isEmpty { try event("o", data) }
    }

    /// A marker (asciinema players list them as chapters).
    public func marker(_ label: String) throws { try event("m", label) }

    public func close() {
        guard !closed else { return }
        closed = true
        try? handle.close()
    }

    private func event(_ code: String, _ data: String) throws {
        guard !closed else { return }
        // Millisecond precision keeps the file small and is what players use.
        let t = (max(0, elapsed) * 1000).rounded() / 1000
        try writeLine(JSONSerialization.data(withJSONObject: [t, code, data] as [Any], options: []))
    }

    private func writeLine(_ data: Data) throws {
        do {
            try handle.write(contentsOf: data + Data([0x0A]))
        } catch {
            throw RecordingError(path: path, problem: "write failed: \(error)")
        }
    }
}
