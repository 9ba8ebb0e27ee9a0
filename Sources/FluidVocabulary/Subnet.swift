/// A named sub-network: a contiguous channel range used at every layer (docs/model.md).
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

    /// "upper half (8 channels)", "lower quarter (4 channels)", "whole network (16 channels)".
    public var plainWords: String {
        let part: String
        switch (channels.lowerBound, channels.count) {
        case (0, 16): part = "whole network"
        case (0, 12): part = "lower three quarters"
        case (0, 8): part = "lower half"
        case (0, 4): part = "lower quarter"
        case (8, 8): part = "upper half"
        case (8, 4): part = "third quarter"
        default: part = "channels \(channels.lowerBound)–\(channels.upperBound - 1)"
        }
        return "\(part) (\(width) channels)"
    }
}
