import FluidKernels
import FluidModel

/// One SGD step of the compact network of width C (forward, loss, backward, update) written
/// with `Kernels.*` only, as a trainer would: the "train" row of `fluid bench kernels`.
final class TrainingStepBench {
    let c: Int, n: Int
    var w1: [Float], b1: [Float], w2: [Float], b2: [Float], w3: [Float], b3: [Float], wf: [Float], bf: [Float]
    var g1: [Float], gb1: [Float], g2: [Float], gb2: [Float], g3: [Float], gb3: [Float], gf: [Float], gbf: [Float]
    let x: [Float], labels: [Int32]
    var c1: [Float], p1: [Float], c2: [Float], p2: [Float], c3: [Float], p3: [Float], logits: [Float]
    var dLogits: [Float], dP3: [Float], dC3: [Float], dP2: [Float], dC2: [Float], dP1: [Float], dC1: [Float]

    init(c: Int, batch n: Int, weights: CNNWeights) {
        self.c = c; self.n = n
        let s = weights.slice(channels: 0..<c)
        w1 = s.conv1Weight; b1 = s.conv1Bias; w2 = s.conv2Weight; b2 = s.conv2Bias
        w3 = s.conv3Weight; b3 = s.conv3Bias; wf = s.fcWeight; bf = s.fcBias
        g1 = w1.map { _ in 0 }; gb1 = b1.map { _ in 0 }; g2 = w2.map { _ in 0 }; gb2 = b2.map { _ in 0 }
        g3 = w3.map { _ in 0 }; gb3 = b3.map { _ in 0 }; gf = wf.map { _ in 0 }; gbf = bf.map { _ in 0 }
        let (l1, l2, l3) = (CNN.conv1, CNN.conv2, CNN.conv3)
        x = (0..<(n * CNN.imagePixels)).map { Float(($0 * 37) % 255) / 255 }
        labels = (0..<n).map { Int32($0 % CNN.classes) }
        c1 = [Float](repeating: 0, count: n * l1.pixels * c); p1 = [Float](repeating: 0, count: n * l1.pooledPixels * c)
        c2 = [Float](repeating: 0, count: n * l2.pixels * c); p2 = [Float](repeating: 0, count: n * l2.pooledPixels * c)
        c3 = [Float](repeating: 0, count: n * l3.pixels * c); p3 = [Float](repeating: 0, count: n * l3.pooledPixels * c)
        logits = [Float](repeating: 0, count: n * CNN.classes); dLogits = logits
        dP3 = p3; dC3 = c3; dP2 = p2; dC2 = c2; dP1 = p1; dC1 = c1
    }

    func step() {
        let n = self.n, c = self.c, o = CNN.classes, f = CNN.fc.inputs(width: c)
        let (s1, s2, s3) = (CNN.conv1.side, CNN.conv2.side, CNN.conv3.side), ic1 = CNN.imageChannels
        Kernels.conv3x3Forward(input: x, weight: w1, bias: b1, output: &c1, n: n, h: s1, w: s1, ic: ic1, oc: c, relu: true)
        Kernels.maxPool2x2Forward(input: c1, output: &p1, n: n, h: s1, w: s1, c: c)
        Kernels.conv3x3Forward(input: p1, weight: w2, bias: b2, output: &c2, n: n, h: s2, w: s2, ic: c, oc: c, relu: true)
        Kernels.maxPool2x2Forward(input: c2, output: &p2, n: n, h: s2, w: s2, c: c)
        Kernels.conv3x3Forward(input: p2, weight: w3, bias: b3, output: &c3, n: n, h: s3, w: s3, ic: c, oc: c, relu: true)
        Kernels.maxPool2x2Forward(input: c3, output: &p3, n: n, h: s3, w: s3, c: c)
        Kernels.denseForward(input: p3, weight: wf, bias: bf, output: &logits, n: n, f: f, o: o)
        _ = Kernels.softmaxCrossEntropy(logits: logits, labels: labels, dLogits: &dLogits, n: n, o: o)

        Kernels.denseBackward(input: p3, weight: wf, dOutput: dLogits, dWeight: &gf, dBias: &gbf, dInput: &dP3, n: n, f: f, o: o)
        Kernels.maxPool2x2Backward(input: c3, dOutput: dP3, dInput: &dC3, n: n, h: s3, w: s3, c: c)
        Kernels.reluBackward(output: c3, gradient: &dC3, count: dC3.count)
        Kernels.conv3x3BackwardWeights(input: p2, dOutput: dC3, dWeight: &g3, dBias: &gb3, n: n, h: s3, w: s3, ic: c, oc: c)
        Kernels.conv3x3BackwardData(dOutput: dC3, weight: w3, dInput: &dP2, n: n, h: s3, w: s3, ic: c, oc: c)
        Kernels.maxPool2x2Backward(input: c2, dOutput: dP2, dInput: &dC2, n: n, h: s2, w: s2, c: c)
        Kernels.reluBackward(output: c2, gradient: &dC2, count: dC2.count)
        Kernels.conv3x3BackwardWeights(input: p1, dOutput: dC2, dWeight: &g2, dBias: &gb2, n: n, h: s2, w: s2, ic: c, oc: c)
        Kernels.conv3x3BackwardData(dOutput: dC2, weight: w2, dInput: &dP1, n: n, h: s2, w: s2, ic: c, oc: c)
        Kernels.maxPool2x2Backward(input: c1, dOutput: dP1, dInput: &dC1, n: n, h: s1, w: s1, c: c)
        Kernels.reluBackward(output: c1, gradient: &dC1, count: dC1.count)
        Kernels.conv3x3BackwardWeights(input: x, dOutput: dC1, dWeight: &g1, dBias: &gb1, n: n, h: s1, w: s1, ic: ic1, oc: c)

        // Plain SGD with a tiny rate so the weights stay in range over many repeats.
        func sgd(_ p: inout [Float], _ g: inout [Float]) {
            for i in p.indices { p[i] -= 1e-6 * g[i]; g[i] = 0 }
        }
        sgd(&w1, &g1); sgd(&b1, &gb1); sgd(&w2, &g2); sgd(&b2, &gb2)
        sgd(&w3, &g3); sgd(&b3, &gb3); sgd(&wf, &gf); sgd(&bf, &gbf)
    }
}
