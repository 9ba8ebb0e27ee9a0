import Foundation

/// A session log that cannot be read: names the file, the line and the problem.
public struct SessionLogError: Error, Equatable, CustomStringConvertible {
    public let file: String
    /// 1-based; 0 when the problem is the file as a whole.
    public let line: Int
    public let problem: String

    public var description: String {
        line > 0 ? "\(file):\(line): \(problem)" : "\(file): \(problem)"
    }
}

public enum SessionLogParser {
    /// Reads and parses a session log file.
    public static func parse(contentsOf path: String) throws -> SessionLog {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SessionLogError(file: path, line: 0, problem: "cannot read the file")
        }
        return try parse(data, name: path)
    }

    /// Parses session-log bytes; `name` is used in errors.
    public static func parse(_ data: Data, name: String) throws -> SessionLog {
        guard let text = String(data: data, encoding: .utf8) else {
            throw SessionLogError(file: name, line: 0, problem: "not UTF-8 text")
        }
        var header: SessionLog.Header?
        var samples: [SessionLog.Sample] = []
        var events: [SessionLog.Event] = []
        var summary: SessionLog.Summary?
        var number = 0
        var cut: Int?
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // A writer flushes whole lines; one that crashed leaves its last line without a
        // newline. That line is dropped (and reported), not the whole log.
        let unterminated = !text.hasSuffix("\n")
        for raw in lines {
            number += 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            func fail(_ problem: String) -> SessionLogError {
                SessionLogError(file: name, line: number, problem: problem)
            }
            guard let value = JSONValue.parse(line) else {
                if unterminated, number == lines.count, header != nil { cut = number; break }
                throw fail("not valid JSON: \(line.prefix(60))")
            }
            guard let fields = value.object else { throw fail("expected a JSON object") }
            guard let type = fields["type"]?.string else { throw fail("missing string field \"type\"") }
            if header == nil {
                guard type == "header" else {
                    throw fail("the first line must be the header ({\"type\":\"header\",\"format\":\"\(SessionLog.format)\",…}), got type \"\(type)\"")
                }
                header = try parseHeader(fields, fail)
                continue
            }
            switch type {
            case "sample": samples.append(try parseSample(fields, fail))
            case "event": events.append(try parseEvent(fields, fail))
            case "summary": summary = SessionLog.Summary(fields: fields)
            case "header": throw fail("a second header line")
            default: continue  // a newer writer's record type: not ours to refuse
            }
        }
        guard let header else { throw SessionLogError(file: name, line: 0, problem: "empty: no header line") }
        return SessionLog(header: header, samples: samples, events: events, summary: summary, cutLastLine: cut)
    }

    /// One event line on its own (the live dashboard feeds the cluster's events
    /// through here, so they read exactly as they do in a replay); nil if the line
    /// is not a well-formed event.
    public static func event(fromJSONLine line: String) -> SessionLog.Event? {
        guard let fields = JSONValue.parse(line)?.object, fields["type"]?.string == "event" else { return nil }
        return try? parseEvent(fields) { SessionLogError(file: "event", line: 1, problem: $0) }
    }

    private static func parseHeader(_ f: [String: JSONValue],
                                    _ fail: (String) -> SessionLogError) throws -> SessionLog.Header {
        guard f["format"]?.string == SessionLog.format else {
            throw fail("not a session log: \"format\" must be \"\(SessionLog.format)\"")
        }
        guard let version = f["version"]?.int else { throw fail("missing integer field \"version\"") }
        guard version == SessionLog.version else {
            throw fail("session log version \(version); this fluid reads version \(SessionLog.version) (use a matching fluid to replay it)")
        }
        return SessionLog.Header(version: version, fields: f)
    }

    /// Longest session a log may describe, seconds (a year): beyond it a `t` is corrupt.
    public static let maximumTime = 365.0 * 24 * 3600

    private static func time(_ f: [String: JSONValue], _ fail: (String) -> SessionLogError) throws -> Double {
        guard let t = f["t"]?.double else { throw fail("missing number field \"t\"") }
        guard t.isFinite, t >= 0 else { throw fail("\"t\" must be a non-negative number of seconds") }
        guard t <= maximumTime else {
            throw fail("\"t\" \(t) is beyond a year of seconds: the line is corrupt")
        }
        return t
    }

    private static func parseSample(_ f: [String: JSONValue],
                                    _ fail: (String) -> SessionLogError) throws -> SessionLog.Sample {
        let t = try time(f, fail)
        guard let throughput = f["throughput"]?.double, throughput.isFinite, throughput >= 0 else {
            throw fail("sample: \"throughput\" must be a non-negative number")
        }
        guard let planName = f["plan"]?.string else { throw fail("sample: missing string field \"plan\"") }
        guard let plan = Plan(rawValue: planName) else {
            throw fail("sample: unknown plan \"\(planName)\" (known: \(Plan.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var accuracy: Double?
        if let a = f["accuracy"], a != .null {
            guard let v = a.double, v.isFinite else { throw fail("sample: \"accuracy\" must be a number") }
            accuracy = min(1, max(0, v))
        }
        var devices: [Role: SessionLog.DeviceSample] = [:]
        if let d = f["devices"] {
            guard let dict = d.object else { throw fail("sample: \"devices\" must be an object") }
            for name in Role.allCases {
                guard let entry = dict[name.rawValue] else { continue }
                guard let ef = entry.object, let s = ef["state"]?.string else {
                    throw fail("sample: devices.\(name.rawValue) needs a string \"state\"")
                }
                guard let state = DeviceState(rawValue: s) else {
                    throw fail("sample: devices.\(name.rawValue).state \"\(s)\" is not up, down or hung")
                }
                devices[name] = SessionLog.DeviceSample(state: state, fields: ef)
            }
        }
        return SessionLog.Sample(t: t, throughput: throughput, accuracy: accuracy, plan: plan,
                                 devices: devices, fields: f)
    }

    private static func parseEvent(_ f: [String: JSONValue],
                                   _ fail: (String) -> SessionLogError) throws -> SessionLog.Event {
        let t = try time(f, fail)
        guard let name = f["event"]?.string else { throw fail("event: missing string field \"event\"") }
        return SessionLog.Event(t: t, event: name, fields: f)
    }
}
