import Foundation

/// A parsed DESIGN §8 session log (JSON Lines): a header line, then samples and
/// events with `t` in seconds since start, and an optional summary at the end.
/// Fields this reader does not know are ignored, so newer writers stay readable.
public struct SessionLog: Equatable, Sendable {
    public static let format = "fluid-session"
    public static let supportedVersion = 1

    public var header: SessionHeader
    public var samples: [SessionSample]
    public var events: [SessionEvent]
    public var summary: SessionSummary?

    /// Seconds from the start to the last sample or event.
    public var duration: Double {
        max(samples.last?.t ?? 0, events.last?.t ?? 0)
    }
}

public struct SessionHeader: Equatable, Sendable {
    public var version: Int
    public var kind: DashboardKind?
    public var mode: DashboardMode?
    /// The whole header object, for fields beyond these.
    public var fields: [String: JSONValue]
}

public struct SessionDeviceSample: Equatable, Sendable {
    public var state: DeviceState
    public var fields: [String: JSONValue]
}

public struct SessionSample: Equatable, Sendable {
    public var t: Double
    public var throughput: Double
    public var accuracy: Double?
    public var plan: String
    public var devices: [DeviceName: SessionDeviceSample]
    public var fields: [String: JSONValue]
}

public struct SessionEvent: Equatable, Sendable {
    public var t: Double
    /// `device-down`, `plan`, … (the writer's vocabulary; unknown names are shown as they are).
    public var event: String
    public var fields: [String: JSONValue]
}

public struct SessionSummary: Equatable, Sendable {
    public var fields: [String: JSONValue]
    public var counters: RequestCounters {
        RequestCounters(sent: fields["sent"]?.int ?? 0, answered: fields["answered"]?.int ?? 0,
                        unavailable: fields["unavailable"]?.int ?? 0, inFlight: nil,
                        lost: fields["lost"]?.int)
    }
}

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
        var header: SessionHeader?
        var samples: [SessionSample] = []
        var events: [SessionEvent] = []
        var summary: SessionSummary?
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            func fail(_ problem: String) -> SessionLogError {
                SessionLogError(file: name, line: number, problem: problem)
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)),
                  let value = JSONValue(foundation: object) else {
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
            case "summary": summary = SessionSummary(fields: fields)
            case "header": throw fail("a second header line")
            default: continue  // a newer writer's record type: not ours to refuse
            }
        }
        guard let header else { throw SessionLogError(file: name, line: 0, problem: "empty: no header line") }
        return SessionLog(header: header, samples: samples, events: events, summary: summary)
    }

    /// One event line on its own (the live dashboard feeds the cluster's events
    /// through here, so they read exactly as they do in a replay); nil if the line
    /// is not a well-formed event.
    public static func event(fromJSONLine line: String) -> SessionEvent? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)),
              let fields = JSONValue(foundation: object)?.object,
              fields["type"]?.string == "event" else { return nil }
        return try? parseEvent(fields) { SessionLogError(file: "event", line: 1, problem: $0) }
    }

    private static func parseHeader(_ f: [String: JSONValue],
                                    _ fail: (String) -> SessionLogError) throws -> SessionHeader {
        guard f["format"]?.string == SessionLog.format else {
            throw fail("not a session log: \"format\" must be \"\(SessionLog.format)\"")
        }
        guard let version = f["version"]?.int else { throw fail("missing integer field \"version\"") }
        guard version == SessionLog.supportedVersion else {
            throw fail("session log version \(version); this fluid reads version \(SessionLog.supportedVersion) (use a matching fluid to replay it)")
        }
        return SessionHeader(version: version,
                             kind: f["kind"]?.string.flatMap(DashboardKind.init(rawValue:)),
                             mode: f["mode"]?.string.flatMap(DashboardMode.init(rawValue:)),
                             fields: f)
    }

    private static func time(_ f: [String: JSONValue], _ fail: (String) -> SessionLogError) throws -> Double {
        guard let t = f["t"]?.double else { throw fail("missing number field \"t\"") }
        guard t.isFinite, t >= 0 else { throw fail("\"t\" must be a non-negative number of seconds") }
        return t
    }

    private static func parseSample(_ f: [String: JSONValue],
                                    _ fail: (String) -> SessionLogError) throws -> SessionSample {
        let t = try time(f, fail)
        guard let throughput = f["throughput"]?.double, throughput.isFinite else {
            throw fail("sample: missing number field \"throughput\"")
        }
        guard let plan = f["plan"]?.string else { throw fail("sample: missing string field \"plan\"") }
        var accuracy: Double?
        if let a = f["accuracy"], a != .null {
            guard let v = a.double, v.isFinite else { throw fail("sample: \"accuracy\" must be a number") }
            accuracy = v
        }
        var devices: [DeviceName: SessionDeviceSample] = [:]
        if let d = f["devices"] {
            guard let dict = d.object else { throw fail("sample: \"devices\" must be an object") }
            for name in DeviceName.allCases {
                guard let entry = dict[name.rawValue] else { continue }
                guard let ef = entry.object, let s = ef["state"]?.string else {
                    throw fail("sample: devices.\(name.rawValue) needs a string \"state\"")
                }
                guard let state = DeviceState(rawValue: s) else {
                    throw fail("sample: devices.\(name.rawValue).state \"\(s)\" is not up, down or hung")
                }
                devices[name] = SessionDeviceSample(state: state, fields: ef)
            }
        }
        return SessionSample(t: t, throughput: throughput, accuracy: accuracy, plan: plan,
                             devices: devices, fields: f)
    }

    private static func parseEvent(_ f: [String: JSONValue],
                                   _ fail: (String) -> SessionLogError) throws -> SessionEvent {
        let t = try time(f, fail)
        guard let name = f["event"]?.string else { throw fail("event: missing string field \"event\"") }
        return SessionEvent(t: t, event: name, fields: f)
    }
}
