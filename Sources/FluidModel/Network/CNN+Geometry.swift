/// The network's geometry as data: one descriptor per layer, all derived from the few
/// constants of `CNN`, so that trainers, engines, codecs and tests ask a layer for its sides
/// and counts instead of repeating them.
///
///     image [28, 28, 1]
///     conv1 3×3 pad 1 → [28, 28, 16] → pool 2×2 → [14, 14, 16]
///     conv2 3×3 pad 1 → [14, 14, 16] → pool 2×2 → [7, 7, 16]
///     conv3 3×3 pad 1 → [7, 7, 16]   → pool 2×2 (floor) → [3, 3, 16] = fc features
///     fc [10, 144]
///
/// Counts that depend on a sub-network take its width (channels at every layer); the full
/// network is width `CNN.fullWidth`.

/// One conv 3×3 (stride 1, pad 1) + ReLU + 2×2 max-pool (floor) layer.
package struct ConvLayer: Sendable, Equatable {
    /// 1, 2, 3: the layer's number in the tensor names (`conv1.weight` …).
    package let number: Int
    /// Side of the (square) input and conv output map.
    package let side: Int
    /// True for conv1, whose input is the image's channel whatever the sub-network's width.
    package let readsImage: Bool

    package static let kernelSide = 3
    /// Weights of one (output, input) channel pair: 3 × 3.
    package static let taps = kernelSide * kernelSide
    /// Zero border on each side of the input, so the output keeps the input's side.
    package static let padding = (kernelSide - 1) / 2
    /// Side of a max-pool window (and its stride).
    package static let poolSide = 2

    package var name: String { "conv\(number)" }
    package var pixels: Int { side * side }
    /// Side of the zero-bordered input buffer the packed kernels read.
    package var paddedSide: Int { side + 2 * Self.padding }
    package var paddedPixels: Int { paddedSide * paddedSide }
    /// Side after the 2 × 2 max-pool (floor: conv3's last row and column are dropped).
    package var pooledSide: Int { side / Self.poolSide }
    package var pooledPixels: Int { pooledSide * pooledSide }

    /// Input channels of a sub-network of width `s`.
    package func inputs(width s: Int) -> Int { readsImage ? CNN.imageChannels : s }
    /// Weights of one output channel (one row of the weight tensor) at width `s`.
    package func rowWeights(width s: Int) -> Int { inputs(width: s) * Self.taps }
    /// Values of the weight tensor [s, inputs, 3, 3] at width `s`.
    package func weightCount(width s: Int) -> Int { s * rowWeights(width: s) }
    /// The full weight tensor's shape as in the weight file, [OC, IC, 3, 3].
    package var weightShape: [Int] {
        [CNN.fullWidth, inputs(width: CNN.fullWidth), Self.kernelSide, Self.kernelSide]
    }
    /// Multiply-accumulates per image at width `s`.
    package func macs(width s: Int) -> Int { pixels * weightCount(width: s) }
}

/// The fully connected layer: the pooled conv3 map, flattened, to the class logits.
package struct FCLayer: Sendable, Equatable {
    /// Side of the pooled conv3 map it reads.
    package let side: Int
    package let outputs: Int

    /// Features per channel (3 × 3). The file's fc weight orders features channel-major
    /// (PyTorch's NCHW flatten: c · featuresPerChannel + y · side + x).
    package var featuresPerChannel: Int { side * side }
    /// Features of a sub-network of width `s`.
    package func inputs(width s: Int) -> Int { s * featuresPerChannel }
    package func weightCount(width s: Int) -> Int { outputs * inputs(width: s) }
    /// The full weight tensor's shape as in the weight file, [classes, features].
    package var weightShape: [Int] { [outputs, inputs(width: CNN.fullWidth)] }
    package func macs(width s: Int) -> Int { weightCount(width: s) }
}

extension CNN {
    package static let imagePixels = imageSide * imageSide
    package static let conv1 = ConvLayer(number: 1, side: imageSide, readsImage: true)
    package static let conv2 = ConvLayer(number: 2, side: conv1.pooledSide, readsImage: false)
    package static let conv3 = ConvLayer(number: 3, side: conv2.pooledSide, readsImage: false)
    package static let convs = [conv1, conv2, conv3]
    package static let fc = FCLayer(side: conv3.pooledSide, outputs: classes)

    /// Spatial side after each conv + pool, index l = layer (0: the image): 28, 14, 7, 3.
    package static let sides = [imageSide] + convs.map(\.pooledSide)
    /// fc features per channel (3 × 3).
    package static let featuresPerChannel = fc.featuresPerChannel
    /// fc features of the full network (144).
    package static let fcInputs = fc.inputs(width: fullWidth)

    /// Multiply-accumulates per image for a sub-network of width `c` (2205·C² + 7146·C).
    package static func macsPerImage(width c: Int) -> Int {
        convs.reduce(0) { $0 + $1.macs(width: c) } + fc.macs(width: c)
    }
}
