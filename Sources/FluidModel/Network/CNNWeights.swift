/// The full weight store of the CNN, PyTorch layout, float32 (docs/model.md).
///
/// With C = `CNN.fullWidth`, F = `CNN.featuresPerChannel` (the pooled conv3 side squared)
/// and the shapes of `CNN.convs` and `CNN.fc` (CNN+Geometry.swift):
///
/// conv1.weight [C, 1, 3, 3]   conv1.bias [C]
/// conv2.weight [C, C, 3, 3]   conv2.bias [C]
/// conv3.weight [C, C, 3, 3]   conv3.bias [C]
/// fc.weight    [classes, C·F] fc.bias    [classes]   (feature index = c·F + y·side + x)
///
/// All sub-networks share this one store; a sub-network reads only its slice.
public struct CNNWeights: Equatable, Sendable {
    package var conv1Weight: [Float]
    package var conv1Bias: [Float]
    package var conv2Weight: [Float]
    package var conv2Bias: [Float]
    package var conv3Weight: [Float]
    package var conv3Bias: [Float]
    package var fcWeight: [Float]
    package var fcBias: [Float]

    /// Tensor names and shapes exactly as in the weight file, in file order.
    package static let tensorShapes: [(name: String, shape: [Int])] =
        CNN.convs.flatMap { [("\($0.name).weight", $0.weightShape), ("\($0.name).bias", [CNN.fullWidth])] }
        + [("fc.weight", CNN.fc.weightShape), ("fc.bias", [CNN.fc.outputs])]

    /// All-zero weights of the right shapes.
    package init() {
        let c = CNN.fullWidth
        conv1Weight = [Float](repeating: 0, count: CNN.conv1.weightCount(width: c))
        conv1Bias = [Float](repeating: 0, count: c)
        conv2Weight = [Float](repeating: 0, count: CNN.conv2.weightCount(width: c))
        conv2Bias = [Float](repeating: 0, count: c)
        conv3Weight = [Float](repeating: 0, count: CNN.conv3.weightCount(width: c))
        conv3Bias = [Float](repeating: 0, count: c)
        fcWeight = [Float](repeating: 0, count: CNN.fc.weightCount(width: c))
        fcBias = [Float](repeating: 0, count: CNN.fc.outputs)
    }

    /// Tensors by file name, in file order.
    package var namedTensors: [(name: String, shape: [Int], values: [Float])] {
        let values = [conv1Weight, conv1Bias, conv2Weight, conv2Bias,
                      conv3Weight, conv3Bias, fcWeight, fcBias]
        return zip(Self.tensorShapes, values).map { ($0.0.name, $0.0.shape, $0.1) }
    }

    /// Builds the store from tensors by name; nil names the first missing or misshapen one.
    package init(tensors: [String: [Float]]) throws {
        self.init()
        for (name, shape) in Self.tensorShapes {
            guard let v = tensors[name] else { throw CNNWeightsError.missingTensor(name) }
            let count = shape.reduce(1, *)
            guard v.count == count else {
                throw CNNWeightsError.wrongCount(name, expected: count, got: v.count)
            }
            switch name {
            case "conv1.weight": conv1Weight = v
            case "conv1.bias": conv1Bias = v
            case "conv2.weight": conv2Weight = v
            case "conv2.bias": conv2Bias = v
            case "conv3.weight": conv3Weight = v
            case "conv3.bias": conv3Bias = v
            case "fc.weight": fcWeight = v
            default: fcBias = v
            }
        }
    }
}

package enum CNNWeightsError: Error, CustomStringConvertible, Equatable {
    case missingTensor(String)
    case wrongCount(String, expected: Int, got: Int)

    public var description: String {
        switch self {
        case .missingTensor(let n): return "missing tensor '\(n)'"
        case .wrongCount(let n, let e, let g): return "tensor '\(n)' has \(g) values, expected \(e)"
        }
    }
}
