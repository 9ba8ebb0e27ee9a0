/// The compact tensors of one sub-network, cut out of the shared store (docs/model.md).
///
/// For channels S = [a, b), width s = b − a:
///   conv1Weight [s, 1, 3, 3] = W1[S, 0]     conv1Bias [s]
///   conv2Weight [s, s, 3, 3] = W2[S, S]     conv2Bias [s]
///   conv3Weight [s, s, 3, 3] = W3[S, S]     conv3Bias [s]
///   fcWeight    [classes, F·s]  fc columns of S's features, re-ordered channels-last: with
///                            F = `CNN.featuresPerChannel` and p = y·side + x, compact index
///                            p·s + ch  ←  full index (a+ch)·F + p, matching the NHWC
///                            flatten of the pooled [N, side, side, s] conv3 map.
///   fcBias      [classes]    the whole fc bias
///
/// The same type holds gradients, which `CNNWeights.addScattered` adds back into the store.
package struct SubnetWeights: Equatable, Sendable {
    package let channels: Range<Int>
    package var conv1Weight: [Float]
    package var conv1Bias: [Float]
    package var conv2Weight: [Float]
    package var conv2Bias: [Float]
    package var conv3Weight: [Float]
    package var conv3Bias: [Float]
    package var fcWeight: [Float]
    package var fcBias: [Float]

    package var width: Int { channels.count }
    package var fcInputs: Int { CNN.fc.inputs(width: channels.count) }

    /// Zero tensors of the compact shapes (e.g. a gradient accumulator).
    package init(zerosFor channels: Range<Int>) {
        self.channels = channels
        let s = channels.count
        conv1Weight = [Float](repeating: 0, count: CNN.conv1.weightCount(width: s))
        conv1Bias = [Float](repeating: 0, count: s)
        conv2Weight = [Float](repeating: 0, count: CNN.conv2.weightCount(width: s))
        conv2Bias = [Float](repeating: 0, count: s)
        conv3Weight = [Float](repeating: 0, count: CNN.conv3.weightCount(width: s))
        conv3Bias = [Float](repeating: 0, count: s)
        fcWeight = [Float](repeating: 0, count: CNN.fc.weightCount(width: s))
        fcBias = [Float](repeating: 0, count: CNN.fc.outputs)
    }

    /// Sets every value to zero, keeping the storage (no allocation in a training step).
    package mutating func zero() {
        for k in conv1Weight.indices { conv1Weight[k] = 0 }
        for k in conv1Bias.indices { conv1Bias[k] = 0; conv2Bias[k] = 0; conv3Bias[k] = 0 }
        for k in conv2Weight.indices { conv2Weight[k] = 0; conv3Weight[k] = 0 }
        for k in fcWeight.indices { fcWeight[k] = 0 }
        for k in fcBias.indices { fcBias[k] = 0 }
    }
}

extension CNNWeights {
    /// The compact tensors of sub-network `subnet` (see `SubnetWeights`).
    package func slice(_ subnet: Subnet) -> SubnetWeights { slice(channels: subnet.channels) }

    package func slice(channels: Range<Int>) -> SubnetWeights {
        var out = SubnetWeights(zerosFor: channels)
        sliceInto(&out)
        return out
    }

    /// Refreshes `out` (whose `channels` say which slice) from this store without allocating.
    package func sliceInto(_ out: inout SubnetWeights) {
        let a = out.channels.lowerBound, s = out.width
        let c = CNN.fullWidth, taps = ConvLayer.taps, features = CNN.featuresPerChannel
        for o in 0..<s {
            for k in 0..<taps { out.conv1Weight[o * taps + k] = conv1Weight[(a + o) * taps + k] }
            out.conv1Bias[o] = conv1Bias[a + o]
            out.conv2Bias[o] = conv2Bias[a + o]
            out.conv3Bias[o] = conv3Bias[a + o]
            for i in 0..<s { for k in 0..<taps {
                let full = ((a + o) * c + (a + i)) * taps + k
                out.conv2Weight[(o * s + i) * taps + k] = conv2Weight[full]
                out.conv3Weight[(o * s + i) * taps + k] = conv3Weight[full]
            } }
        }
        for j in 0..<CNN.classes {
            for p in 0..<features { for ch in 0..<s {
                out.fcWeight[j * features * s + p * s + ch] = fcWeight[j * CNN.fcInputs + (a + ch) * features + p]
            } }
            out.fcBias[j] = fcBias[j]
        }
    }

    /// Adds a compact gradient (or update) back at its slice's positions; everything outside
    /// the slice is untouched. Exact inverse of `slice` for the positions it covers.
    package mutating func addScattered(_ g: SubnetWeights) {
        let a = g.channels.lowerBound, s = g.width
        let c = CNN.fullWidth, taps = ConvLayer.taps, features = CNN.featuresPerChannel
        for o in 0..<s {
            for k in 0..<taps { conv1Weight[(a + o) * taps + k] += g.conv1Weight[o * taps + k] }
            conv1Bias[a + o] += g.conv1Bias[o]
            conv2Bias[a + o] += g.conv2Bias[o]
            conv3Bias[a + o] += g.conv3Bias[o]
            for i in 0..<s { for k in 0..<taps {
                let full = ((a + o) * c + (a + i)) * taps + k
                conv2Weight[full] += g.conv2Weight[(o * s + i) * taps + k]
                conv3Weight[full] += g.conv3Weight[(o * s + i) * taps + k]
            } }
        }
        for j in 0..<CNN.classes {
            for p in 0..<features { for ch in 0..<s {
                fcWeight[j * CNN.fcInputs + (a + ch) * features + p] += g.fcWeight[j * features * s + p * s + ch]
            } }
            fcBias[j] += g.fcBias[j]
        }
    }
}
