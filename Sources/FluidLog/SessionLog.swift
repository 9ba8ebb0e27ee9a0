// Roles and device states are the shared vocabulary; re-exported for the log's readers.
@_exported import FluidVocabulary

/// A session log (docs/cli.md) (JSON Lines) as read back: a header line, then samples and
/// events with `t` in seconds since start, and an optional summary at the end. FluidCluster
/// writes the lines, FluidDashboard replays them; both use the names here. Fields this
/// reader does not know are kept in `fields`, so newer writers stay readable.
public struct SessionLog: Equatable, Sendable {
    public static let format = "fluid-session"
    /// The version writers put in the header and the only one this reader accepts.
    public static let version = 1

    public var header: Header
    public var samples: [Sample]
    public var events: [Event]
    public var summary: Summary?
    /// The number of the last line when it was cut short (no newline, not JSON: the
    /// writer crashed mid-line) and left out; nil when the file ends cleanly.
    public var cutLastLine: Int?

    public init(header: Header, samples: [Sample], events: [Event], summary: Summary?, cutLastLine: Int? = nil) {
        self.header = header; self.samples = samples; self.events = events; self.summary = summary
        self.cutLastLine = cutLastLine
    }

    /// Seconds from the start to the last sample or event.
    public var duration: Double {
        max(samples.last?.t ?? 0, events.last?.t ?? 0)
    }

    public struct Header: Equatable, Sendable {
        public var version: Int
        /// The whole header object (`kind`, `mode`, `weights_sha256`, …).
        public var fields: [String: JSONValue]
    }

    public struct DeviceSample: Equatable, Sendable {
        public var state: DeviceState
        public var fields: [String: JSONValue]
    }

    public struct Sample: Equatable, Sendable {
        public var t: Double
        public var throughput: Double
        public var accuracy: Double?
        public var plan: Plan
        public var devices: [Role: DeviceSample]
        public var fields: [String: JSONValue]
    }

    public struct Event: Equatable, Sendable {
        public var t: Double
        /// `device-down`, `plan`, … (the writer's vocabulary; unknown names are kept as they are).
        public var event: String
        public var fields: [String: JSONValue]
    }

    public struct Summary: Equatable, Sendable {
        public var fields: [String: JSONValue]
    }
}
