import FluidModel

/// Who is at the other end of a connection.
public enum PeerRole: UInt8, Sendable, CustomStringConvertible {
    case master = 0, worker = 1, source = 2

    public init(_ role: Role) { self = role == .master ? .master : .worker }
    public var role: Role? {
        switch self {
        case .master: return .master
        case .worker: return .worker
        case .source: return nil
        }
    }
    public var description: String {
        switch self {
        case .master: return "master"
        case .worker: return "worker"
        case .source: return "source"
        }
    }
}

/// First message on every connection, both ways.
public struct Hello: Equatable, Sendable {
    public var role: PeerRole
    public var kind: ModelKind
    /// Lowercase hex SHA-256 of the weight file; empty for a source.
    public var weightsSHA256: String
    /// A name for logs (e.g. "master@127.0.0.1:7001").
    public var nodeID: String
    /// Distinguishes a restarted process from the one before it (its start time in ns).
    public var incarnation: UInt64
    /// The highest plan epoch the sender has seen, so a new leader can out-number it.
    public var planEpoch: UInt64
    /// The mode the sender plans with (a revived Master adopts the Worker's).
    public var mode: Mode

    public init(role: PeerRole, kind: ModelKind, weightsSHA256: String, nodeID: String,
                incarnation: UInt64, planEpoch: UInt64, mode: Mode = .ha) {
        self.role = role; self.kind = kind; self.weightsSHA256 = weightsSHA256
        self.nodeID = nodeID; self.incarnation = incarnation; self.planEpoch = planEpoch; self.mode = mode
    }

    /// Why a node must refuse `other`, or nil when they can work together. Two devices must
    /// run the same weight file (same kind, same SHA-256); a source must name the same kind.
    public func mismatch(with other: Hello) -> String? {
        if other.kind != kind {
            return "model kind \(other.kind.rawValue) does not match this node's \(kind.rawValue)"
        }
        if other.role != .source, role != .source, other.weightsSHA256 != weightsSHA256 {
            return "weights SHA-256 \(other.weightsSHA256.prefix(12))… differs from this node's "
                + "\(weightsSHA256.prefix(12))… (both devices must load the same file)"
        }
        if other.role != .source, other.role == role {
            return "peer claims role \(other.role), which is this node's own role"
        }
        return nil
    }
}

/// Periodic liveness message; also carries the counters a source samples.
public struct Heartbeat: Equatable, Sendable {
    public var sentAtNanos: UInt64
    /// Images this node has computed (its share) since it started.
    public var imagesComputed: UInt64
    /// Bytes this node has sent to / received from its peer device.
    public var peerBytesOut: UInt64
    public var peerBytesIn: UInt64

    public init(sentAtNanos: UInt64, imagesComputed: UInt64 = 0, peerBytesOut: UInt64 = 0, peerBytesIn: UInt64 = 0) {
        self.sentAtNanos = sentAtNanos; self.imagesComputed = imagesComputed
        self.peerBytesOut = peerBytesOut; self.peerBytesIn = peerBytesIn
    }
}

/// The leader's plan, sent to the peer (which deploys it and acknowledges) and to sources
/// (which route by it). Epochs only grow; a receiver ignores an epoch it has passed.
public struct PlanAnnouncement: Equatable, Sendable {
    public var epoch: UInt64
    public var plan: Plan
    public var leader: Role
    public var mode: Mode
    /// Whether the leader needs the peer's activations after conv1 / conv2 (joint plans).
    public var needsPeerAfter: [Bool]
    public var reason: String
    /// The plan a source wanted when the leader planned (nil: the failure table alone), so
    /// a source can tell a leader that has not heard its wish from one that heard it and
    /// could not run it. On the wire only when set (issue 14), after `reason`.
    public var wanted: Plan?

    public init(epoch: UInt64, plan: Plan, leader: Role, mode: Mode, needsPeerAfter: [Bool] = [false, false],
                reason: String, wanted: Plan? = nil) {
        self.epoch = epoch; self.plan = plan; self.leader = leader; self.mode = mode
        self.needsPeerAfter = needsPeerAfter; self.reason = reason; self.wanted = wanted
    }
}

/// What a source asks the leader to plan with: the mode, and optionally a plan of the
/// kind's menu (pinned by the user or chosen by the adaptive controller). The leader runs
/// the wanted plan while every device it needs is alive, else the failure table for the
/// mode (`Planner.plan(kind:alive:mode:wanted:)`).
public struct ModeRequest: Equatable, Sendable, CustomStringConvertible {
    public var mode: Mode
    public var plan: Plan?
    public init(mode: Mode, plan: Plan? = nil) { self.mode = mode; self.plan = plan }
    public var description: String { plan.map { "\(mode.rawValue), wanted \($0.rawValue)" } ?? mode.rawValue }
}

/// Images for inference. images [count, 784] bytes.
public struct RequestBatch: Equatable, Sendable {
    public var ids: [UInt64]
    public var images: [UInt8]
    /// The source cannot reach the device that serves these under the plan (e.g. the
    /// Master of a joint plan): run whatever this node can run alone, or answer
    /// *unavailable*. On the wire: message type `standaloneRequest`, same payload.
    public var standalone: Bool
    public init(ids: [UInt64], images: [UInt8], standalone: Bool = false) {
        self.ids = ids; self.images = images; self.standalone = standalone
    }
}

/// Answers: label 0…9, or `AnswerBatch.unavailable`.
public struct AnswerBatch: Equatable, Sendable {
    public static let unavailable: Int8 = -1
    public var ids: [UInt64]
    public var labels: [Int8]
    /// Plan under which the answers were computed.
    public var plan: Plan
    public init(ids: [UInt64], labels: [Int8], plan: Plan) { self.ids = ids; self.labels = labels; self.plan = plan }
}

/// Every message of the protocol.
public enum Message: Equatable, Sendable {
    case hello(Hello)
    /// The sender will close the connection; `reason` says why.
    case refuse(String)
    case heartbeat(Heartbeat)
    /// Leader → peer and sources.
    case plan(PlanAnnouncement)
    /// Follower → leader: plan `epoch` is deployed; whether it needs the leader's activations.
    case deployAck(epoch: UInt64, needsPeerAfter: [Bool])
    /// Source → nodes: the mode the leader plans with, and the plan it wants if any.
    case setMode(ModeRequest)
    /// Source → node.
    case request(RequestBatch)
    /// Node → source.
    case answer(AnswerBatch)
    /// Node → source: these requests do not fit this node's plan; route them again.
    case reject(ids: [UInt64])
    /// Master → Worker: images of joint batch `batch` under plan `epoch`. images [count, 784].
    case jointImages(batch: UInt64, epoch: UInt64, count: Int, images: [UInt8])
    /// Activations of joint batch `batch` after conv `layer` (1 or 2): [count, side, side, ownWidth].
    case jointActivations(batch: UInt64, layer: Int, values: [Float])
    /// Worker → Master: partial logits of its features, no bias: [count, 10].
    case jointPartial(batch: UInt64, values: [Float])
}

/// Message type byte on the wire: every value written out, so reordering or inserting a
/// case cannot change the protocol (CodecTests pins the table).
public enum MessageType: UInt8, CaseIterable, Sendable {
    case hello = 1, refuse = 2, heartbeat = 3, plan = 4, deployAck = 5, setMode = 6
    case request = 7, answer = 8, reject = 9
    case jointImages = 10, jointActivations = 11, jointPartial = 12
    /// A `request` whose batch is `standalone`.
    case standaloneRequest = 13
}

extension Message {
    /// A mode change without a wanted plan (the message every source sent before issue 14).
    public static func setMode(_ m: Mode) -> Message { .setMode(ModeRequest(mode: m)) }
}
