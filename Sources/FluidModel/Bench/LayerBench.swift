import FluidKernels

/// Each layer of the network run alone over a batch, in the engines' layouts, for the
/// per-layer GFLOP/s column of `fluid bench kernels`.
final class LayerBench {
    let c: Int, batch: Int
    let conv1: Conv3x3Plan, conv2: Conv3x3Plan, conv3: Conv3x3Plan
    let fcWeight: [Float], fcBias: [Float]
    var input: [Float], act1: [Float], act2: [Float], features: [Float], logits: [Float]

    init(weights: CNNWeights, c: Int, batch: Int) {
        self.c = c; self.batch = batch
        let ch = 0..<c
        conv1 = Conv3x3Plan(weight: weights.conv1Weight, weightInputs: 1, bias: weights.conv1Bias, rows: ch,
                            columns: 0..<1, h: 28, w: 28, inStride: 1, icLo: 0)
        conv2 = Conv3x3Plan(weight: weights.conv2Weight, weightInputs: 16, bias: weights.conv2Bias, rows: ch,
                            columns: ch, h: 14, w: 14, inStride: c, icLo: 0)
        conv3 = Conv3x3Plan(weight: weights.conv3Weight, weightInputs: 16, bias: weights.conv3Bias, rows: ch,
                            columns: ch, h: 7, w: 7, inStride: c, icLo: 0)
        fcWeight = weights.slice(channels: ch).fcWeight
        fcBias = weights.fcBias
        input = [Float](repeating: 0, count: batch * 900)
        for b in 0..<batch { for y in 0..<28 { for x in 0..<28 { input[b * 900 + (y + 1) * 30 + x + 1] = Float((x * y + b) % 255) / 255 } } }
        act1 = [Float](repeating: 0, count: batch * 256 * c)
        act2 = [Float](repeating: 0, count: batch * 81 * c)
        features = [Float](repeating: 0, count: batch * 9 * c)
        logits = [Float](repeating: 0, count: batch * 10)
    }

    func gflops(repeats: Int, minSeconds: Double) -> KernelBenchReport.LayerGflops {
        let n = batch, c = self.c
        let t1 = KernelBench.best(repeats: repeats, minSeconds: minSeconds) {
            conv1.forwardPooled(input: input, n: n, output: &act1[17 * c], outImageStride: 256 * c,
                                outRowStride: 16 * c, outPixelStride: c)
        }
        let t2 = KernelBench.best(repeats: repeats, minSeconds: minSeconds) {
            conv2.forwardPooled(input: act1, n: n, output: &act2[10 * c], outImageStride: 81 * c,
                                outRowStride: 9 * c, outPixelStride: c)
        }
        let t3 = KernelBench.best(repeats: repeats, minSeconds: minSeconds) {
            conv3.forwardPooled(input: act2, n: n, output: &features, outImageStride: 9 * c,
                                outRowStride: 3 * c, outPixelStride: c)
        }
        let t4 = KernelBench.best(repeats: repeats, minSeconds: minSeconds) {
            Kernels.denseForward(input: features, weight: fcWeight, bias: fcBias, output: &logits, n: n, f: 9 * c, o: 10)
        }
        func g(_ macsPerImage: Int, _ t: Double) -> Double { 2 * Double(macsPerImage * n) / t / 1e9 }
        return .init(conv1: g(7056 * c, t1), conv2: g(1764 * c * c, t2), conv3: g(324 * c * c, t3), fc: g(90 * c, t4))
    }
}
