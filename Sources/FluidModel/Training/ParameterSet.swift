/// A set of parameters of the shared store: which weights a training step may change.
///
/// Stored as a 0/1 mask over `CNNWeights.flattened`, so set algebra is element-wise and the
/// optimiser multiplies by it. Built from sub-network slices, e.g. "what 50 adds over 25":
/// `.slice(.s50) - .slice(.s25)`.
package struct ParameterSet: Equatable, Sendable {
    package var mask: [Float]

    package init(mask: [Float]) { self.mask = mask }

    package static var none: ParameterSet {
        ParameterSet(mask: [Float](repeating: 0, count: CNNWeights.parameterCount))
    }

    /// Every parameter sub-network `subnet` reads, without the fc bias (which every
    /// sub-network shares and a schedule adds explicitly with `.fcBias`).
    package static func slice(_ subnet: Subnet) -> ParameterSet { slice(channels: subnet.channels) }

    package static func slice(channels: Range<Int>) -> ParameterSet {
        var w = CNNWeights()
        var ones = SubnetWeights(zerosFor: channels)
        for k in ones.conv1Weight.indices { ones.conv1Weight[k] = 1 }
        for k in ones.conv1Bias.indices { ones.conv1Bias[k] = 1; ones.conv2Bias[k] = 1; ones.conv3Bias[k] = 1 }
        for k in ones.conv2Weight.indices { ones.conv2Weight[k] = 1; ones.conv3Weight[k] = 1 }
        for k in ones.fcWeight.indices { ones.fcWeight[k] = 1 }
        w.addScattered(ones)
        return ParameterSet(mask: w.flattened)
    }

    /// The fc bias alone.
    package static var fcBias: ParameterSet {
        var s = ParameterSet.none
        let at = CNNWeights.flatOffsets["fc.bias"] ?? 0
        for k in at..<(at + CNN.classes) { s.mask[k] = 1 }
        return s
    }

    /// Every parameter the connectivity allows to be non-zero.
    package static func allowed(by connectivity: Connectivity) -> ParameterSet {
        var w = CNNWeights()
        func ones(_ v: [Float]) -> [Float] { [Float](repeating: 1, count: v.count) }
        w.conv1Weight = ones(w.conv1Weight)
        w.conv1Bias = ones(w.conv1Bias)
        w.conv2Weight = connectivity.convMask
        w.conv2Bias = ones(w.conv2Bias)
        w.conv3Weight = connectivity.convMask
        w.conv3Bias = ones(w.conv3Bias)
        w.fcWeight = ones(w.fcWeight)
        w.fcBias = ones(w.fcBias)
        return ParameterSet(mask: w.flattened)
    }

    /// Union.
    package static func + (a: ParameterSet, b: ParameterSet) -> ParameterSet {
        ParameterSet(mask: zip(a.mask, b.mask).map { max($0, $1) })
    }

    /// Difference: in `a` but not in `b`.
    package static func - (a: ParameterSet, b: ParameterSet) -> ParameterSet {
        ParameterSet(mask: zip(a.mask, b.mask).map { $0 * (1 - $1) })
    }

    /// Intersection.
    package static func & (a: ParameterSet, b: ParameterSet) -> ParameterSet {
        ParameterSet(mask: zip(a.mask, b.mask).map { $0 * $1 })
    }

    /// Number of parameters in the set.
    package var count: Int { mask.reduce(0) { $0 + Int($1) } }
}
