import FluidCluster
import FluidModel
import Foundation
import Logging

/// Everything a `ClusterController` needs. Defaults suit `fluid run --headless` on loopback.
public struct ClusterConfig: Sendable {
    public var kind: ModelKind
    public var mode: ModeSetting = .ha
    /// Issue 14: a plan of the kind's menu to pin (`--plan`), or a goal for the adaptive
    /// controller (`--goal`); both nil: the mode decides.
    public var plan: Plan?
    public var goal: Goal?
    /// Offered input rate, images/s; nil = as fast as the credits allow.
    public var rate: Double?
    /// Weight file of each kind; `weightsPath(for:)` falls back to `<weightsDirectory>/<kind>.safetensors`.
    public var weightsDirectory = "Assets/models"
    public var weightsOverride: [ModelKind: String] = [:]
    /// The `fluid` executable that runs `fluid node` (default: this process's own binary).
    public var executable: String = ClusterConfig.currentExecutable()
    /// Address the nodes listen on and the source dials.
    public var host = "127.0.0.1"
    /// Per-device address overriding `host` (nodes on other hosts, see `attached`).
    public var nodeHosts: [Role: String] = [:]
    /// Nodes started elsewhere (`fluid run --attach`): dial `nodeHosts`/`ports`, spawn
    /// nothing; faults cannot be injected.
    public var attached = false
    /// `fluid keygen` folder passed to the spawned nodes (`--tls`); `useTLS` sets it and
    /// the source's own TLS identity in `hooks`.
    public var tlsDirectory: String?
    /// Fixed ports (master, worker); nil picks two free loopback ports.
    public var ports: (master: Int, worker: Int)?
    /// The images the source streams (looping) and their labels.
    public var testSet: MNISTSet
    /// Images per request frame.
    public var batchSize = 32
    /// Request frames in flight per device (the source's credits). 8 × 32 keeps a joint
    /// pipeline of 4 batches fed on both sides while bounding latency.
    public var windowBatches = 8
    public var settings = ClusterSettings()
    /// Longest a request waits before the source answers it *unavailable* (`--request-deadline`).
    public var requestDeadline: Duration = .seconds(1)
    public var hooks = PipelineHooks()
    /// Emulated Master ↔ Worker link, passed to the spawned nodes (default: untouched).
    public var link = LinkShape()
    /// Where the nodes' stderr (their logs) goes.
    public var nodeOutput: NodeOutput = .discard
    /// Where the controller logs (given by the caller: a library never makes its own).
    public var logger: Logger

    public enum NodeOutput: Equatable, Sendable {
        case inherit, discard
        /// `<directory>/node-master.log`, `<directory>/node-worker.log` (appended).
        case directory(String)
    }

    public init(kind: ModelKind, testSet: MNISTSet, logger: Logger) {
        self.kind = kind
        self.testSet = testSet
        self.logger = logger
    }

    public func weightsPath(for kind: ModelKind) -> String {
        weightsOverride[kind] ?? (weightsDirectory as NSString).appendingPathComponent("\(kind.rawValue).safetensors")
    }

    /// /proc/self/exe resolved (Linux), else argv[0].
    public static func currentExecutable() -> String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return CommandLine.arguments.first ?? "fluid"
    }
}

public enum ClusterError: Error, CustomStringConvertible {
    case weightsMissing(String)
    case spawn(String)
    case startTimeout(String)

    public var description: String {
        switch self {
        case .weightsMissing(let p):
            return "weight file '\(p)' not found (run from the package root, or train it: fluid train --kind …)"
        case .spawn(let m): return "cannot start a node: \(m)"
        case .startTimeout(let m): return "cluster did not start: \(m)"
        }
    }
}
