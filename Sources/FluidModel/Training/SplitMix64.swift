/// A small deterministic PRNG (SplitMix64): the same seed gives the same shuffles,
/// initial weights and augmentation on every machine.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    package var state: UInt64

    package init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    package mutating func symmetric() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

    /// Uniform integer in 0..<n (n > 0), by multiply-shift (no modulo bias worth caring about).
    package mutating func below(_ n: Int) -> Int { Int(((next() >> 32) &* UInt64(n)) >> 32) }

    /// Fisher–Yates, drawing from this generator only (not the stdlib's algorithm, whose
    /// draws may change between Swift versions).
    package mutating func shuffle(_ a: inout [Int]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }
}

extension CNNWeights {
    /// Initial weights for a seed: He-uniform conv weights (bound √(6 / fan-in), fan-in = the
    /// 3×3 × input channels the connectivity lets the row read), fc uniform ±1/√(fc inputs)
    /// as PyTorch's default, zero biases; forbidden blocks zero.
    package static func initial(seed: UInt64, connectivity: Connectivity) -> CNNWeights {
        var rng = SplitMix64(seed: seed ^ 0x1DF1)
        var w = CNNWeights()
        let c = CNN.fullWidth, taps = ConvLayer.taps, row = CNN.conv2.rowWeights(width: c)
        let b1 = (6 / Float(CNN.conv1.rowWeights(width: c))).squareRoot()
        for k in w.conv1Weight.indices { w.conv1Weight[k] = rng.symmetric() * b1 }
        for layer in 0..<2 {
            for o in 0..<c {
                let inputs = (0..<c).filter { connectivity.allows(output: o, input: $0) }.count
                let bound = (6 / Float(taps * inputs)).squareRoot()
                for k in (o * row)..<((o + 1) * row) {
                    let v = rng.symmetric() * bound
                    if layer == 0 { w.conv2Weight[k] = v } else { w.conv3Weight[k] = v }
                }
            }
        }
        let bf = 1 / Float(CNN.fcInputs).squareRoot()
        for k in w.fcWeight.indices { w.fcWeight[k] = rng.symmetric() * bf }
        w.applyMask(connectivity)
        return w
    }
}
