/// What each device of the cluster holds (docs/model.md).
extension CNNWeights {
    /// A copy with everything `role` does not hold set to zero.
    ///
    /// A device holds the output rows of its channels in every conv (all input columns, so
    /// dense cross blocks it computes are included), the fc columns of its channels'
    /// features, and the fc bias (both devices hold it). Used to prove a device never reads
    /// weights it does not hold: a node loaded with `restricted(to:)` must compute the same.
    package func restricted(to role: Role) -> CNNWeights {
        let rows = role.ownedChannels
        var out = CNNWeights()
        let row1 = CNN.conv1.rowWeights(width: CNN.fullWidth), row = CNN.conv2.rowWeights(width: CNN.fullWidth)
        let features = CNN.featuresPerChannel
        for o in rows {
            for k in (o * row1)..<((o + 1) * row1) { out.conv1Weight[k] = conv1Weight[k] }
            out.conv1Bias[o] = conv1Bias[o]
            out.conv2Bias[o] = conv2Bias[o]
            out.conv3Bias[o] = conv3Bias[o]
            for k in (o * row)..<((o + 1) * row) {
                out.conv2Weight[k] = conv2Weight[k]
                out.conv3Weight[k] = conv3Weight[k]
            }
        }
        for j in 0..<CNN.classes {
            for c in rows { for p in 0..<features {
                let k = j * CNN.fcInputs + c * features + p
                out.fcWeight[k] = fcWeight[k]
            } }
        }
        out.fcBias = fcBias
        return out
    }
}
