/// The store as one flat vector, tensors in file order (conv1.weight … fc.bias), for the
/// optimiser and the parameter masks, which treat every weight alike.
extension CNNWeights {
    /// Total number of parameters (6250).
    package static let parameterCount = tensorShapes.reduce(0) { $0 + $1.shape.reduce(1, *) }

    /// Offset of each tensor in the flat vector, in file order.
    package static let flatOffsets: [String: Int] = {
        var out = [String: Int](), at = 0
        for (name, shape) in tensorShapes { out[name] = at; at += shape.reduce(1, *) }
        return out
    }()

    package var flattened: [Float] {
        conv1Weight + conv1Bias + conv2Weight + conv2Bias + conv3Weight + conv3Bias + fcWeight + fcBias
    }

    /// Inverse of `flattened`; nil when the count is wrong.
    package init?(flattened v: [Float]) {
        guard v.count == Self.parameterCount else { return nil }
        self.init()
        var at = 0
        func take(_ n: Int) -> [Float] { defer { at += n }; return Array(v[at..<(at + n)]) }
        conv1Weight = take(conv1Weight.count); conv1Bias = take(conv1Bias.count)
        conv2Weight = take(conv2Weight.count); conv2Bias = take(conv2Bias.count)
        conv3Weight = take(conv3Weight.count); conv3Bias = take(conv3Bias.count)
        fcWeight = take(fcWeight.count); fcBias = take(fcBias.count)
    }

    /// True when every value is finite (no NaN or ±Inf).
    package var isFinite: Bool { flattened.allSatisfy { $0.isFinite } }
}
