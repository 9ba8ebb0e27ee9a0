/// The fast kernels: same signatures and results (up to float rounding) as `Reference`.
///
/// Each call allocates, fills and frees what it needs (the padded input, the packed or
/// flipped weights, a `Conv3x3Plan`): a few allocations per layer, small beside a batch's
/// arithmetic, bought for a stateless PyTorch-layout API that any thread may call. The
/// inference engines in FluidModel, where a call is one image, use the prepared
/// (packed-once) `Conv3x3Plan` instead.
package enum Kernels {
    /// input [N,H,W,IC]; weight [OC,IC,3,3]; bias [OC]; output [N,H,W,OC]; stride 1, pad 1; ReLU if relu
    package static func conv3x3Forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                      bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                      n: Int, h: Int, w: Int, ic: Int, oc: Int, relu: Bool) {
        guard n > 0, h > 0, w > 0, oc > 0 else { return }
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: Padding.paddedCount(n: n, h: h, w: w, c: ic))
        defer { padded.deallocate() }
        Padding.pad(input, into: padded, n: n, h: h, w: w, c: ic)
        let plan = Conv3x3Plan(weight: weight, weightInputs: ic, bias: bias, rows: 0..<oc, columns: 0..<ic,
                               h: h, w: w, inStride: ic, icLo: 0)
        plan.forward(input: padded, n: n, output: output, outStride: oc, relu: relu)
    }

    /// ACCUMULATES: dWeight [OC,IC,3,3] +=, dBias [OC] += ; input [N,H,W,IC]; dOutput [N,H,W,OC]
    package static func conv3x3BackwardWeights(input: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                                              dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
                                              n: Int, h: Int, w: Int, ic: Int, oc: Int) {
        ConvBackwardWeights.run(input: input, dOutput: dOutput, dWeight: dWeight, dBias: dBias,
                                n: n, h: h, w: w, ic: ic, oc: oc)
    }

    /// OVERWRITES dInput [N,H,W,IC] with the gradient wrt input
    package static func conv3x3BackwardData(dOutput: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                           dInput: UnsafeMutablePointer<Float>,
                                           n: Int, h: Int, w: Int, ic: Int, oc: Int) {
        guard n > 0, h > 0, w > 0, ic > 0 else { return }
        guard oc > 0 else { dInput.update(repeating: 0, count: n * h * w * ic); return }
        // dIn = conv3x3(dOut) with weights transposed (IC <-> OC) and flipped 180°.
        let flipped = UnsafeMutablePointer<Float>.allocate(capacity: ic * oc * 9)
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: Padding.paddedCount(n: n, h: h, w: w, c: oc))
        defer { flipped.deallocate(); padded.deallocate() }
        for o in 0..<oc { for i in 0..<ic { for k in 0..<9 {
            flipped[(i * oc + o) * 9 + 8 - k] = weight[(o * ic + i) * 9 + k]
        } } }
        Padding.pad(dOutput, into: padded, n: n, h: h, w: w, c: oc)
        let plan = Conv3x3Plan(weight: flipped, weightInputs: oc, bias: nil, rows: 0..<ic, columns: 0..<oc,
                               h: h, w: w, inStride: oc, icLo: 0)
        plan.forward(input: padded, n: n, output: dInput, outStride: ic, relu: false)
    }

    /// gradient[i] = 0 where output[i] <= 0
    package static func reluBackward(output: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        PoolKernels.reluBackward(output: output, gradient: gradient, count: count)
    }

    /// input [N,H,W,C] -> output [N,H/2,W/2,C], floor (7 -> 3)
    package static func maxPool2x2Forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                         n: Int, h: Int, w: Int, c: Int) {
        PoolKernels.forward(input: input, output: output, n: n, h: h, w: w, c: c)
    }

    /// OVERWRITES dInput [N,H,W,C]: each dOutput goes to the first max of its window (row-major), 0 elsewhere (and in floor-dropped rows/cols)
    package static func maxPool2x2Backward(input: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                                          dInput: UnsafeMutablePointer<Float>, n: Int, h: Int, w: Int, c: Int) {
        PoolKernels.backward(input: input, dOutput: dOutput, dInput: dInput, n: n, h: h, w: w, c: c)
    }

    /// input [N,F]; weight [O,F]; bias [O]; output [N,O]
    package static func denseForward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                    bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                    n: Int, f: Int, o: Int) {
        DenseKernels.forward(input: input, weight: weight, bias: bias, output: output, n: n, f: f, o: o)
    }

    /// ACCUMULATES dWeight [O,F] += and dBias [O] += ; OVERWRITES dInput [N,F] unless nil
    package static func denseBackward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                     dOutput: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                                     dBias: UnsafeMutablePointer<Float>, dInput: UnsafeMutablePointer<Float>?,
                                     n: Int, f: Int, o: Int) {
        DenseKernels.backward(input: input, weight: weight, dOutput: dOutput, dWeight: dWeight,
                              dBias: dBias, dInput: dInput, n: n, f: f, o: o)
    }

    /// logits [N,O]; labels [N]; returns the mean loss; OVERWRITES dLogits [N,O] = (softmax - onehot) / N
    package static func softmaxCrossEntropy(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                           dLogits: UnsafeMutablePointer<Float>, n: Int, o: Int) -> Float {
        Reference.softmaxCrossEntropy(logits: logits, labels: labels, dLogits: dLogits, n: n, o: o)
    }

    /// index of the max of each row of [N,O] into out[N]
    package static func argmax(_ values: UnsafePointer<Float>, n: Int, o: Int, into out: UnsafeMutablePointer<Int32>) {
        Reference.argmax(values, n: n, o: o, into: out)
    }
}
