import FluidKernels

/// The fc layer of a channel range, packed channels-last: logits (+)= features · columns.
///
/// Features are the pooled conv3 map [side, side, s] (NHWC) of channels `channels`; the fc
/// weight's feature index is `c·f + p` with f = features per channel and p = y·side + x
/// (PyTorch NCHW flatten), so packing permutes the columns to `p·s + (c − a)`.
final class FCPlan {
    let features: Int
    /// [classes, features] packed.
    let weights: UnsafeMutablePointer<Float>

    init(weights full: CNNWeights, channels: Range<Int>) {
        let s = channels.count, perChannel = CNN.featuresPerChannel
        features = CNN.fc.inputs(width: s)
        weights = .allocate(capacity: max(1, CNN.classes * features))
        for k in 0..<CNN.classes {
            for p in 0..<perChannel {
                for ch in 0..<s {
                    weights[k * features + p * s + ch] =
                        full.fcWeight[k * CNN.fcInputs + (channels.lowerBound + ch) * perChannel + p]
                }
            }
        }
    }

    deinit { weights.deallocate() }

    /// logits[k] = initial[k] + Σ features · column (one image; `initial` nil = 0).
    @inline(__always)
    func apply(_ x: UnsafePointer<Float>, initial: UnsafePointer<Float>?, into logits: UnsafeMutablePointer<Float>) {
        let f = features, vw = FloatVector.scalarCount
        let whole = f - f % vw
        for k in 0..<CNN.classes {
            let row = weights + k * f
            var acc = FloatVector(repeating: 0)
            var i = 0
            while i < whole {
                let a = UnsafeRawPointer(x + i).loadUnaligned(as: FloatVector.self)
                let b = UnsafeRawPointer(row + i).loadUnaligned(as: FloatVector.self)
                acc.addProduct(a, b)
                i += vw
            }
            var sum = acc.sum()
            while i < f { sum += x[i] * row[i]; i += 1 }
            logits[k] = (initial?[k] ?? 0) + sum
        }
    }
}
