/// Connectivity masks (docs/model.md): which conv weights a connectivity lets exist.
///
/// Only conv2 and conv3 are masked: conv1 has one input channel and fc reads features, not
/// channel groups, so every row of them is allowed under both connectivities.
extension Connectivity {
    /// True when output channel `o` may read input channel `i` of conv2/conv3.
    package func allows(output o: Int, input i: Int) -> Bool {
        switch self {
        case .dense: return true
        case .triangular: return CNN.group(ofChannel: i) <= CNN.group(ofChannel: o)
        }
    }

    /// Per conv2/conv3 weight [C, C, 3, 3]: 1 where allowed, 0 where the block must stay zero.
    package var convMask: [Float] {
        let c = CNN.fullWidth, taps = ConvLayer.taps
        var m = [Float](repeating: 0, count: CNN.conv2.weightCount(width: c))
        for o in 0..<c { for i in 0..<c where allows(output: o, input: i) {
            for k in 0..<taps { m[(o * c + i) * taps + k] = 1 }
        } }
        return m
    }
}

extension CNNWeights {
    /// Zeroes every conv2/conv3 weight the connectivity forbids (dense: no-op).
    package mutating func applyMask(_ connectivity: Connectivity) {
        guard connectivity == .triangular else { return }
        let mask = connectivity.convMask
        for k in 0..<mask.count where mask[k] == 0 {
            conv2Weight[k] = 0
            conv3Weight[k] = 0
        }
    }

    /// The first weight that the connectivity forbids but is not exactly zero, or nil.
    /// Names it as "conv2.weight[o,i,ky,kx]" so a failing check says where.
    package func maskViolation(_ connectivity: Connectivity) -> String? {
        let mask = connectivity.convMask
        for (name, w) in [("conv2.weight", conv2Weight), ("conv3.weight", conv3Weight)] {
            for k in 0..<mask.count where mask[k] == 0 && w[k] != 0 {
                let c = CNN.fullWidth, side = ConvLayer.kernelSide, taps = ConvLayer.taps
                return "\(name)[\(k / (c * taps)),\(k / taps % c),\(k / side % side),\(k % side)] = \(w[k])"
            }
        }
        return nil
    }

    /// The connectivity these weights satisfy: triangular when every forbidden block is
    /// exactly zero, else dense. (A dense-trained file is never accidentally all-zero there.)
    package var inferredConnectivity: Connectivity {
        maskViolation(.triangular) == nil ? .triangular : .dense
    }
}
