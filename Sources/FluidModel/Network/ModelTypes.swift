/// The paper's small MNIST CNN (docs/model.md): 3 conv + 1 fc, full width 16 channels,
/// nested sub-networks that are contiguous channel ranges.

/// How a weight file was trained (DESIGN §2).
public enum ModelKind: String, CaseIterable, Codable, Sendable {
    case `static`, dynamic, fluid
}

/// Which input channels an output channel may read (docs/model.md).
public enum Connectivity: String, CaseIterable, Codable, Sendable {
    /// Every output channel reads every input channel of its sub-network.
    case dense
    /// An output channel of group g reads only input groups ≤ g; blocks above stay zero.
    case triangular
}

/// Network dimensions, fixed by the paper. Everything else about the shape (each layer's
/// sides, padding, channel counts, the fc width) is derived from these in `CNN+Geometry.swift`.
public enum CNN {
    public static let fullWidth = 16
    public static let groupWidth = 4
    public static let groups = 4
    public static let classes = 10
    public static let imageSide = 28
    public static let imageChannels = 1

    /// Group index (0…3) of a channel.
    @inlinable public static func group(ofChannel c: Int) -> Int { c / groupWidth }
}

/// A named sub-network: a contiguous channel range used at every layer (DESIGN §2).
public struct Subnet: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let channels: Range<Int>

    public init(name: String, channels: Range<Int>) {
        self.name = name
        self.channels = channels
    }

    public var width: Int { channels.count }
    public var description: String { name }

    public static let s25 = Subnet(name: "25", channels: 0..<4)
    public static let s50 = Subnet(name: "50", channels: 0..<8)
    public static let s75 = Subnet(name: "75", channels: 0..<12)
    public static let s100 = Subnet(name: "100", channels: 0..<16)
    public static let u25 = Subnet(name: "u25", channels: 8..<12)
    public static let u50 = Subnet(name: "u50", channels: 8..<16)

    /// All named sub-networks, in the order tables print them.
    public static let all: [Subnet] = [.s25, .s50, .s75, .s100, .u25, .u50]

    public static func named(_ name: String) -> Subnet? { all.first { $0.name == name } }
}

/// A device of the two-device cluster and the weights it holds (DESIGN §2).
public enum Role: String, CaseIterable, Codable, Sendable {
    case master, worker

    /// Output rows of every layer (and fc columns of these channels' features) this device holds.
    public var ownedChannels: Range<Int> {
        switch self {
        case .master: return 0..<8
        case .worker: return 8..<16
        }
    }

    public var peer: Role { self == .master ? .worker : .master }
}
