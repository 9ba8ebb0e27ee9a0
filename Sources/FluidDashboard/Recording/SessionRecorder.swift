import Foundation

/// One recording: `fluid-<stamp>.cast` (the screen, asciicast v2, markers at every
/// fault and mode switch) beside `fluid-<stamp>.jsonl` (the session log, written by
/// the driver). Started by `--record DIR` or the `r` key; stopped by `r` or quit.
public final class SessionRecorder {
    public let castPath: String
    public let sessionLogPath: String
    private let cast: AsciicastWriter
    private var lastEventSequence: Int

    /// Creates `directory` if needed and opens the `.cast`; the caller hands
    /// `sessionLogPath` to the driver.
    public init(directory: String, columns: Int, rows: Int, colour: Bool, title: String,
                lastEventSequence: Int, now: Date = Date()) throws {
        let directory = try Self.checkDirectory(directory)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyyMMdd-HHmmss"
        let stamp = f.string(from: now)
        let base = (directory as NSString).appendingPathComponent("fluid-\(stamp)")
        castPath = base + ".cast"
        sessionLogPath = base + ".jsonl"
        cast = try AsciicastWriter(path: castPath, columns: columns, rows: rows, title: title, colour: colour)
        self.lastEventSequence = lastEventSequence
    }

    /// Records a frame, with a marker for each new marker-worthy event in it.
    public func record(_ screen: Screen, snapshot: DashboardSnapshot) throws {
        for e in snapshot.events where e.sequence > lastEventSequence {
            if e.isMarker { try cast.marker(e.text) }
        }
        if let last = snapshot.events.last?.sequence { lastEventSequence = max(lastEventSequence, last) }
        try cast.frame(screen)
    }

    /// A marker for a user action (the key press itself: the fault's moment).
    public func mark(_ label: String) throws { try cast.marker(label) }

    public func close() { cast.close() }

    /// Makes sure recordings can be written into `directory` (creating it), and returns
    /// its absolute path, so `--record` to an unusable folder fails before anything
    /// starts, with the whole reason, and messages can show the full path.
    @discardableResult
    public static func checkDirectory(_ directory: String) throws -> String {
        let fm = FileManager.default
        let absolute = directory.hasPrefix("/") ? directory
            : (fm.currentDirectoryPath as NSString).appendingPathComponent(directory)
        let path = (absolute as NSString).standardizingPath
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
            throw RecordingError(path: path, problem: "exists and is not a directory")
        }
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            // Foundation's error hides the errno: ask mkdir itself, below the deepest
            // existing ancestor, for the reason ("Permission denied", "Read-only file system").
            var existing = path, first = path
            while !fm.fileExists(atPath: existing), existing != "/" {
                first = existing
                existing = (existing as NSString).deletingLastPathComponent
            }
            let reason: String
            if mkdir(first, 0o755) == 0 {
                rmdir(first)
                reason = error.localizedDescription
            } else {
                reason = "\(first): \(String(cString: strerror(errno)))"
            }
            throw RecordingError(path: path, problem: "cannot create the recording directory (\(reason))")
        }
        let probe = (path as NSString).appendingPathComponent(".fluid-write-test-\(getpid())")
        guard fm.createFile(atPath: probe, contents: Data()) else {
            throw RecordingError(path: path, problem: "cannot write into the recording directory (\(String(cString: strerror(errno))))")
        }
        try? fm.removeItem(atPath: probe)
        return path
    }
}
