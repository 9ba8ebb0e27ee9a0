import FluidCluster
import FluidModel
import FluidTransport
import Foundation

/// The paper's four situations of Fig. 2 (docs/cluster.md gives the plan of each).
public enum PaperScenario: String, CaseIterable, Codable, Sendable {
    /// The Worker was SIGKILLed before measuring.
    case masterOnly = "master-only"
    /// The Master was SIGKILLed before measuring.
    case workerOnly = "worker-only"
    case bothHA = "both-ha"
    case bothHT = "both-ht"

    public var alive: Set<Role> {
        switch self {
        case .masterOnly: return [.master]
        case .workerOnly: return [.worker]
        case .bothHA, .bothHT: return [.master, .worker]
        }
    }

    public var mode: Mode { self == .bothHA ? .ha : .ht }

    /// docs/cluster.md: what `kind` runs here (`.none` = stops).
    public func plan(for kind: ModelKind) -> Plan { Planner.plan(kind: kind, alive: alive, mode: mode) }

    public var title: String {
        switch self {
        case .masterOnly: return "Master only"
        case .workerOnly: return "Worker only"
        case .bothHA: return "Both, HA"
        case .bothHT: return "Both, HT"
        }
    }
}

/// A link the benchmark runs over, with its name in the table.
public struct BenchLink: Codable, Sendable, Equatable {
    public var name: String
    public var latencyMs: Double
    public var bandwidthMbit: Double?
    /// Images per request frame over this link (nil: the benchmark's default). A slow link
    /// wants smaller frames: heartbeats travel in-band behind them, and a 128-image
    /// activation frame (800 kB) takes 160 ms at 40 Mbit/s, close to the 200 ms timeout;
    /// 64 images (400 kB, 80 ms) keep a margin and the source still light.
    public var batch: Int?

    public init(name: String, shape: LinkShape, batch: Int? = nil) {
        self.name = name; latencyMs = shape.latencyMs; bandwidthMbit = shape.bandwidthMbit; self.batch = batch
    }

    public var shape: LinkShape { (try? LinkShape(latencyMs: latencyMs, bandwidthMbit: bandwidthMbit)) ?? LinkShape() }

    /// Master ↔ Worker over loopback TCP, untouched.
    public static let loopback = BenchLink(name: "loopback", shape: LinkShape())
    /// Two boards on one Wi-Fi access point: 3 ms one way (6 ms round trip: two wireless
    /// hops through the AP) and 40 Mbit/s of TCP goodput (802.11n shared by two stations).
    /// See the README's "Results: paper" section for why.
    public static let edge = BenchLink(name: "wifi-edge",
                                       shape: (try? LinkShape(latencyMs: 3, bandwidthMbit: 40)) ?? LinkShape(), batch: 64)

    enum CodingKeys: String, CodingKey {
        case name, batch, latencyMs = "latency_ms", bandwidthMbit = "bandwidth_mbit"
    }
}

/// One bar of Fig. 2: a kind in a scenario over a link.
public struct PaperRow: Codable, Sendable, Equatable {
    public var kind: String
    public var scenario: String
    public var link: String
    /// The plan the leader ran while measuring (docs/cli.md name; `none` = stopped).
    public var plan: String
    public var imgPerS: Double
    /// Over `accuracyImages` predictions of the test set (nil when it predicts nothing).
    public var accuracy: Double?
    public var accuracyImages: Int
    public var unavailablePerS: Double
    public var windowS: Double
    public var cpuSource: Double
    public var cpuMaster: Double?
    public var cpuWorker: Double?
    /// sent − answered of the cluster run this row belongs to (must be 0).
    public var lost: Int?
    /// Why the row could not be measured (nil when it was).
    public var error: String?
    /// Images per request frame in this row.
    public var batch: Int?
    /// The first window was disturbed (plan changed) and the row was measured again.
    public var retried = false
    /// Rounds this row was measured in (its figures are the best round's).
    public var rounds = 1

    public init(kind: ModelKind, scenario: PaperScenario, link: String, plan: Plan, m: WindowMeasurement?, error: String? = nil) {
        self.kind = kind.rawValue; self.scenario = scenario.rawValue; self.link = link
        self.plan = m?.plan ?? plan.rawValue
        imgPerS = m?.imagesPerSecond ?? 0
        accuracy = m?.accuracy
        accuracyImages = m?.accuracyImages ?? 0
        unavailablePerS = m?.unavailablePerSecond ?? 0
        windowS = m?.windowSeconds ?? 0
        cpuSource = m?.cpuSource ?? 0
        cpuMaster = m?.cpuMaster
        cpuWorker = m?.cpuWorker
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case kind, scenario, link, plan, accuracy, lost, error, batch, retried, rounds
        case imgPerS = "img_per_s", accuracyImages = "accuracy_images", unavailablePerS = "unavailable_per_s"
        case windowS = "window_s", cpuSource = "cpu_source", cpuMaster = "cpu_master", cpuWorker = "cpu_worker"
    }

    /// Like the synthesized one, but `accuracy` and the CPU shares are written as `null`
    /// when absent (docs/cli.md: every row has an `accuracy` key).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(scenario, forKey: .scenario)
        try c.encode(link, forKey: .link)
        try c.encode(plan, forKey: .plan)
        try c.encode(imgPerS, forKey: .imgPerS)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(accuracyImages, forKey: .accuracyImages)
        try c.encode(unavailablePerS, forKey: .unavailablePerS)
        try c.encode(windowS, forKey: .windowS)
        try c.encode(cpuSource, forKey: .cpuSource)
        try c.encode(cpuMaster, forKey: .cpuMaster)
        try c.encode(cpuWorker, forKey: .cpuWorker)
        try c.encode(lost, forKey: .lost)
        try c.encodeIfPresent(error, forKey: .error)
        try c.encodeIfPresent(batch, forKey: .batch)
        try c.encode(retried, forKey: .retried)
        try c.encode(rounds, forKey: .rounds)
    }
}

/// One claim of the paper checked against our rows.
public struct PaperCheck: Codable, Sendable, Equatable {
    public var name: String
    public var link: String
    public var paper: String
    public var ours: String
    public var pass: Bool
}

/// The weights a kind ran, for the record.
public struct PaperModel: Codable, Sendable, Equatable {
    public var kind: String
    public var sha256: String
    public var connectivity: String
    /// The trainer's test accuracy per sub-network (weight-file metadata), for comparison.
    public var offlineAccuracy: [String: String]

    enum CodingKeys: String, CodingKey {
        case kind, sha256, connectivity, offlineAccuracy = "offline_accuracy"
    }
}

/// `fluid bench paper --json`: docs/cli.md's `rows` plus how, where and when.
public struct PaperReport: Codable, Sendable {
    public var format = "fluid-bench-paper"
    public var version = 1
    public var date: String
    public var machine: BenchMachine
    public var command: String
    public var durationS: Double
    public var settings: Settings
    public var links: [BenchLink]
    public var models: [PaperModel]
    public var rows: [PaperRow]
    public var checks: [PaperCheck]

    public struct Settings: Codable, Sendable, Equatable {
        public var warmupS: Double
        public var windowS: Double
        public var accuracyImages: Int
        public var accuracyCapS: Double
        public var batch: Int
        public var windowBatches: Int
        /// Master on core 0, Worker on core 1 (`CorePinning`); the source unpinned.
        public var pinnedNodes: Bool
        public var rounds: Int
        enum CodingKeys: String, CodingKey {
            case warmupS = "warmup_s", windowS = "window_s", accuracyImages = "accuracy_images"
            case accuracyCapS = "accuracy_cap_s", batch, windowBatches = "window_batches", pinnedNodes = "pinned_nodes", rounds
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, version, date, machine, command, settings, links, models, rows, checks
        case durationS = "duration_s"
    }

    public func row(_ kind: ModelKind, _ scenario: PaperScenario, _ link: String) -> PaperRow? {
        rows.first { $0.kind == kind.rawValue && $0.scenario == scenario.rawValue && $0.link == link }
    }

    public var allChecksPass: Bool { checks.allSatisfy(\.pass) }

    public func jsonData(pretty: Bool = true) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return try enc.encode(self)
    }
}

/// Where a benchmark ran.
public struct BenchMachine: Codable, Sendable, Equatable {
    public var cpu: String
    public var cores: Int
    public var os: String
    /// 1-minute load average when the benchmark started and ended (other work on the box).
    public var loadStart: Double?
    public var loadEnd: Double?

    enum CodingKeys: String, CodingKey {
        case cpu, cores, os, loadStart = "load_start", loadEnd = "load_end"
    }

    public static func current() -> BenchMachine {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = info.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
        var u = utsname()
        uname(&u)
        func str<T>(_ t: T) -> String { withUnsafeBytes(of: t) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } }
        return BenchMachine(cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount,
                            os: "\(str(u.sysname)) \(str(u.release)) \(str(u.machine))", loadStart: loadAverage(), loadEnd: nil)
    }

    public static func loadAverage() -> Double? {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.flatMap { Double($0) }
    }
}
