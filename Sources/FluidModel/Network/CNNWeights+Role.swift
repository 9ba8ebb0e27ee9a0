/// What each device of the cluster holds (docs/model.md).
extension CNNWeights {
    /// A copy with everything `role` does not hold set to zero.
    ///
    /// A device holds the output rows of its channels in every conv (all input columns, so
    /// dense cross blocks it computes are included), the fc columns of its channels'
    /// features, and the fc bias (both devices hold it). Used to prove a device never reads
    /// weights it does not hold: a node loaded with `restricted(to:)` must compute the same.
    public func restricted(to role: Role) -> CNNWeights {
        let rows = role.ownedChannels
        var out = CNNWeights()
        for o in rows {
            for k in 0..<9 { out.conv1Weight[o * 9 + k] = conv1Weight[o * 9 + k] }
            out.conv1Bias[o] = conv1Bias[o]
            out.conv2Bias[o] = conv2Bias[o]
            out.conv3Bias[o] = conv3Bias[o]
            for k in (o * 144)..<((o + 1) * 144) {
                out.conv2Weight[k] = conv2Weight[k]
                out.conv3Weight[k] = conv3Weight[k]
            }
        }
        for j in 0..<CNN.classes {
            for c in rows { for p in 0..<9 {
                let k = j * CNN.fcInputs + c * 9 + p
                out.fcWeight[k] = fcWeight[k]
            } }
        }
        out.fcBias = fcBias
        return out
    }
}
