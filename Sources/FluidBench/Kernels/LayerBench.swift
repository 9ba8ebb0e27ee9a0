import FluidKernels
import FluidModel

/// Each layer of the network run alone over a batch, in the engines' layouts, for the
/// per-layer GFLOP/s column of `fluid bench kernels`.
final class LayerBench {
    let c: Int, batch: Int
    let conv1: Conv3x3Plan, conv2: Conv3x3Plan, conv3: Conv3x3Plan
    let fcWeight: [Float], fcBias: [Float]
    var input: [Float], act1: [Float], act2: [Float], features: [Float], logits: [Float]

    init(weights: CNNWeights, c: Int, batch: Int) {
        self.c = c; self.batch = batch
        let ch = 0..<c, full = CNN.fullWidth, (l1, l2, l3) = (CNN.conv1, CNN.conv2, CNN.conv3)
        conv1 = Conv3x3Plan(weight: weights.conv1Weight, weightInputs: l1.inputs(width: full), bias: weights.conv1Bias,
                            rows: ch, columns: 0..<CNN.imageChannels, h: l1.side, w: l1.side,
                            inStride: CNN.imageChannels, icLo: 0)
        conv2 = Conv3x3Plan(weight: weights.conv2Weight, weightInputs: l2.inputs(width: full), bias: weights.conv2Bias,
                            rows: ch, columns: ch, h: l2.side, w: l2.side, inStride: c, icLo: 0)
        conv3 = Conv3x3Plan(weight: weights.conv3Weight, weightInputs: l3.inputs(width: full), bias: weights.conv3Bias,
                            rows: ch, columns: ch, h: l3.side, w: l3.side, inStride: c, icLo: 0)
        fcWeight = weights.slice(channels: ch).fcWeight
        fcBias = weights.fcBias
        let side = l1.side, padded = l1.paddedSide, pad = ConvLayer.padding
        input = [Float](repeating: 0, count: batch * l1.paddedPixels)
        for b in 0..<batch { for y in 0..<side { for x in 0..<side {
            input[b * l1.paddedPixels + (y + pad) * padded + x + pad] = Float((x * y + b) % 255) / 255
        } } }
        act1 = [Float](repeating: 0, count: batch * l2.paddedPixels * c)
        act2 = [Float](repeating: 0, count: batch * l3.paddedPixels * c)
        features = [Float](repeating: 0, count: batch * CNN.fc.inputs(width: c))
        logits = [Float](repeating: 0, count: batch * CNN.classes)
    }

    func gflops(repeats: Int, minSeconds: Double) -> KernelBenchReport.LayerGflops {
        let n = batch, c = self.c, pad = ConvLayer.padding
        let (l1, l2, l3) = (CNN.conv1, CNN.conv2, CNN.conv3)
        // Each pooled map lands in the interior of the next layer's padded input, as in SubnetEngine.
        let side2 = l2.paddedSide, side3 = l3.paddedSide, fcSide = CNN.fc.side
        let t1 = KernelBench.best(repeats: repeats, minSeconds: minSeconds) {
            conv1.forwardPooled(input: input, n: n, output: &act1[(pad * side2 + pad) * c],
                                outImageStride: l2.paddedPixels * c, outRowStride: side2 * c, outPixelStride: c)
        }
        let t2 = KernelBench.best(repeats: repeats, minSeconds: minSeconds) {
            conv2.forwardPooled(input: act1, n: n, output: &act2[(pad * side3 + pad) * c],
                                outImageStride: l3.paddedPixels * c, outRowStride: side3 * c, outPixelStride: c)
        }
        let t3 = KernelBench.best(repeats: repeats, minSeconds: minSeconds) {
            conv3.forwardPooled(input: act2, n: n, output: &features, outImageStride: fcSide * fcSide * c,
                                outRowStride: fcSide * c, outPixelStride: c)
        }
        let t4 = KernelBench.best(repeats: repeats, minSeconds: minSeconds) {
            Kernels.denseForward(input: features, weight: fcWeight, bias: fcBias, output: &logits, n: n,
                                 f: CNN.fc.inputs(width: c), o: CNN.classes)
        }
        // conv3 counts only the pixels its floor pool keeps: the work the fused kernel does.
        let kept3 = (l3.pooledSide * ConvLayer.poolSide) * (l3.pooledSide * ConvLayer.poolSide)
        let macs3 = kept3 * l3.rowWeights(width: c) * c
        func g(_ macsPerImage: Int, _ t: Double) -> Double { 2 * Double(macsPerImage * n) / t / 1e9 }
        return .init(conv1: g(l1.macs(width: c), t1), conv2: g(l2.macs(width: c), t2), conv3: g(macs3, t3),
                     fc: g(CNN.fc.macs(width: c), t4))
    }
}
