import FluidKernels
import Foundation

/// Forward and backward of one sub-network over a batch, on preallocated buffers.
///
/// One instance per thread: it owns every activation and gradient buffer for up to
/// `capacity` images at full width, so the activations of a training step need no
/// allocation (the `Kernels` it calls still pad and pack per call). Activations are
/// channels-last, compact to the sub-network's width s, with the sides of `CNN.convs`
/// (the table in CNN+Geometry.swift):
///   x [N, conv1.side², 1] → a1 [N, conv1.side², s] → p1 [N, conv1.pooledSide², s] = conv2's
///   input → a2 → p2 → a3 → p3 [N, fc.side², s] = the fc features → logits [N, classes]
/// (a* are post-ReLU conv outputs, p* the 2×2 max-pooled maps.)
package final class SubnetPass {
    package let capacity: Int
    let x, a1, p1, a2, p2, a3, p3: UnsafeMutablePointer<Float>
    let da1, dp1, da2, dp2, da3, dp3: UnsafeMutablePointer<Float>
    /// logits [capacity, classes] of the last forward.
    package let logits: UnsafeMutablePointer<Float>
    /// dLogits [capacity, classes]: the caller writes the loss gradient here before `backward`.
    package let dLogits: UnsafeMutablePointer<Float>
    /// Sum of logits [capacity, classes] while `forwardMean` runs several models.
    let logitSum: UnsafeMutablePointer<Float>
    package let labels: UnsafeMutablePointer<Int32>
    package let predictions: UnsafeMutablePointer<Int32>

    package init(capacity: Int) {
        self.capacity = capacity
        let c = CNN.fullWidth
        func buf(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        let (l1, l2, l3) = (CNN.conv1, CNN.conv2, CNN.conv3)
        x = buf(capacity * l1.pixels * CNN.imageChannels)
        a1 = buf(capacity * l1.pixels * c); da1 = buf(capacity * l1.pixels * c)
        p1 = buf(capacity * l1.pooledPixels * c); dp1 = buf(capacity * l1.pooledPixels * c)
        a2 = buf(capacity * l2.pixels * c); da2 = buf(capacity * l2.pixels * c)
        p2 = buf(capacity * l2.pooledPixels * c); dp2 = buf(capacity * l2.pooledPixels * c)
        a3 = buf(capacity * l3.pixels * c); da3 = buf(capacity * l3.pixels * c)
        p3 = buf(capacity * l3.pooledPixels * c); dp3 = buf(capacity * l3.pooledPixels * c)
        logits = buf(capacity * CNN.classes); dLogits = buf(capacity * CNN.classes)
        logitSum = buf(capacity * CNN.classes)
        labels = .allocate(capacity: capacity); labels.initialize(repeating: 0, count: capacity)
        predictions = .allocate(capacity: capacity); predictions.initialize(repeating: 0, count: capacity)
    }

    deinit {
        for p in [x, a1, da1, p1, dp1, a2, da2, p2, dp2, a3, da3, p3, dp3, logits, dLogits, logitSum] { p.deallocate() }
        labels.deallocate(); predictions.deallocate()
    }

    /// Loads images (uint8 [count, imagePixels], values / 255) into x [n, side, side, 1] and
    /// labels, for `indices[0..<n]`. With a non-nil `shifts` (pairs dx, dy per image) each
    /// image is translated, zero-filled, by that many pixels (augmentation).
    package func load(images: UnsafePointer<UInt8>, labels src: UnsafePointer<UInt8>,
                     indices: UnsafeBufferPointer<Int>, shifts: UnsafePointer<Int8>? = nil) {
        precondition(indices.count <= capacity, "batch larger than the pass capacity")
        let scale: Float = 1 / 255
        let side = CNN.imageSide, pixels = CNN.imagePixels
        for (b, index) in indices.enumerated() {
            let img = images + index * pixels, dst = x + b * pixels
            labels[b] = Int32(src[index])
            guard let shifts, shifts[2 * b] != 0 || shifts[2 * b + 1] != 0 else {
                for k in 0..<pixels { dst[k] = Float(img[k]) * scale }
                continue
            }
            let dx = Int(shifts[2 * b]), dy = Int(shifts[2 * b + 1])
            for y in 0..<side {
                let sy = y - dy
                for xx in 0..<side {
                    let sx = xx - dx
                    dst[y * side + xx] = (sy >= 0 && sy < side && sx >= 0 && sx < side)
                        ? Float(img[sy * side + sx]) * scale : 0
                }
            }
        }
    }

    /// Conv + ReLU of `layer` then its max-pool, at width s.
    @inline(__always)
    private func convPool(_ layer: ConvLayer, _ weight: [Float], _ bias: [Float], input: UnsafePointer<Float>,
                          conv: UnsafeMutablePointer<Float>, pooled: UnsafeMutablePointer<Float>, n: Int, s: Int) {
        weight.withUnsafeBufferPointer { cw in bias.withUnsafeBufferPointer { cb in
            Kernels.conv3x3Forward(input: input, weight: cw.baseAddress!, bias: cb.baseAddress!, output: conv,
                                   n: n, h: layer.side, w: layer.side, ic: layer.inputs(width: s), oc: s, relu: true)
        } }
        Kernels.maxPool2x2Forward(input: conv, output: pooled, n: n, h: layer.side, w: layer.side, c: s)
    }

    /// logits [n, classes] ← sub-network `w` on x [n, side, side, 1].
    package func forward(_ w: SubnetWeights, n: Int) {
        let s = w.width
        convPool(CNN.conv1, w.conv1Weight, w.conv1Bias, input: x, conv: a1, pooled: p1, n: n, s: s)
        convPool(CNN.conv2, w.conv2Weight, w.conv2Bias, input: p1, conv: a2, pooled: p2, n: n, s: s)
        convPool(CNN.conv3, w.conv3Weight, w.conv3Bias, input: p2, conv: a3, pooled: p3, n: n, s: s)
        w.fcWeight.withUnsafeBufferPointer { fw in w.fcBias.withUnsafeBufferPointer { fb in
            Kernels.denseForward(input: p3, weight: fw.baseAddress!, bias: fb.baseAddress!, output: logits,
                                 n: n, f: CNN.fc.inputs(width: s), o: CNN.classes)
        } }
    }

    /// Cross-entropy of the last forward against `labels`: returns the mean loss and the
    /// number correct; dLogits ← (softmax − onehot) · `scale` / n, so a half batch of a full
    /// batch N passes scale = n / N (and a loss weight multiplies in).
    package func crossEntropy(n: Int, scale: Float) -> (loss: Float, correct: Int) {
        let loss = Kernels.softmaxCrossEntropy(logits: logits, labels: labels, dLogits: dLogits,
                                               n: n, o: CNN.classes)
        if scale != 1 { for k in 0..<(n * CNN.classes) { dLogits[k] *= scale } }
        Kernels.argmax(logits, n: n, o: CNN.classes, into: predictions)
        var correct = 0
        for b in 0..<n where predictions[b] == labels[b] { correct += 1 }
        return (loss, correct)
    }

    /// Forward of an ensemble: `logits` = the mean of the models' logits (one model: a plain
    /// forward). Leaves no state for `backward` (teachers and evaluation only).
    package func forwardMean(_ models: [SubnetWeights], n: Int) {
        guard models.count > 1 else {
            if let w = models.first { forward(w, n: n) }
            return
        }
        let m = n * CNN.classes
        logitSum.update(repeating: 0, count: m)
        for w in models {
            forward(w, n: n)
            for j in 0..<m { logitSum[j] += logits[j] }
        }
        let inv = 1 / Float(models.count)
        for j in 0..<m { logits[j] = logitSum[j] * inv }
    }

    /// Number of correct predictions of the last forward (no gradient).
    package func countCorrect(n: Int) -> Int {
        Kernels.argmax(logits, n: n, o: CNN.classes, into: predictions)
        var correct = 0
        for b in 0..<n where predictions[b] == labels[b] { correct += 1 }
        return correct
    }

    /// Backward of the last forward from dLogits; ACCUMULATES into `grad` (compact, same
    /// channels as `w`). Must follow `forward(w, n:)` on the same pass.
    package func backward(_ w: SubnetWeights, n: Int, into grad: inout SubnetWeights) {
        let s = w.width
        w.fcWeight.withUnsafeBufferPointer { fw in
            grad.fcWeight.withUnsafeMutableBufferPointer { gw in grad.fcBias.withUnsafeMutableBufferPointer { gb in
                Kernels.denseBackward(input: p3, weight: fw.baseAddress!, dOutput: dLogits,
                                      dWeight: gw.baseAddress!, dBias: gb.baseAddress!, dInput: dp3,
                                      n: n, f: CNN.fc.inputs(width: s), o: CNN.classes)
            } }
        }
        let (l1, l2, l3) = (CNN.conv1, CNN.conv2, CNN.conv3)
        // conv3: pool → relu → weights, data
        Kernels.maxPool2x2Backward(input: a3, dOutput: dp3, dInput: da3, n: n, h: l3.side, w: l3.side, c: s)
        Kernels.reluBackward(output: a3, gradient: da3, count: n * l3.pixels * s)
        grad.conv3Weight.withUnsafeMutableBufferPointer { gw in grad.conv3Bias.withUnsafeMutableBufferPointer { gb in
            Kernels.conv3x3BackwardWeights(input: p2, dOutput: da3, dWeight: gw.baseAddress!, dBias: gb.baseAddress!,
                                           n: n, h: l3.side, w: l3.side, ic: s, oc: s)
        } }
        w.conv3Weight.withUnsafeBufferPointer { cw in
            Kernels.conv3x3BackwardData(dOutput: da3, weight: cw.baseAddress!, dInput: dp2,
                                        n: n, h: l3.side, w: l3.side, ic: s, oc: s)
        }
        // conv2
        Kernels.maxPool2x2Backward(input: a2, dOutput: dp2, dInput: da2, n: n, h: l2.side, w: l2.side, c: s)
        Kernels.reluBackward(output: a2, gradient: da2, count: n * l2.pixels * s)
        grad.conv2Weight.withUnsafeMutableBufferPointer { gw in grad.conv2Bias.withUnsafeMutableBufferPointer { gb in
            Kernels.conv3x3BackwardWeights(input: p1, dOutput: da2, dWeight: gw.baseAddress!, dBias: gb.baseAddress!,
                                           n: n, h: l2.side, w: l2.side, ic: s, oc: s)
        } }
        w.conv2Weight.withUnsafeBufferPointer { cw in
            Kernels.conv3x3BackwardData(dOutput: da2, weight: cw.baseAddress!, dInput: dp1,
                                        n: n, h: l2.side, w: l2.side, ic: s, oc: s)
        }
        // conv1 (no gradient for the image)
        Kernels.maxPool2x2Backward(input: a1, dOutput: dp1, dInput: da1, n: n, h: l1.side, w: l1.side, c: s)
        Kernels.reluBackward(output: a1, gradient: da1, count: n * l1.pixels * s)
        grad.conv1Weight.withUnsafeMutableBufferPointer { gw in grad.conv1Bias.withUnsafeMutableBufferPointer { gb in
            Kernels.conv3x3BackwardWeights(input: x, dOutput: da1, dWeight: gw.baseAddress!, dBias: gb.baseAddress!,
                                           n: n, h: l1.side, w: l1.side, ic: l1.inputs(width: s), oc: s)
        } }
    }
}

extension SubnetPass {
    /// Mixes knowledge distillation into dLogits (after `crossEntropy`):
    ///   dLogits ← (1 − d)·dLogits + d · T · (softmax(z/T) − softmax(t/T)) · scale / n
    /// the gradient of (1 − d)·CE + d·T²·KL(softmax(t/T) ‖ softmax(z/T)) (Hinton et al.),
    /// with t the teacher's logits [n, classes] and z this pass's logits.
    package func mixDistillation(teacher: UnsafePointer<Float>, n: Int, share d: Float,
                                temperature T: Float, scale: Float) {
        let o = CNN.classes
        let k = d * T * scale / Float(n)
        for b in 0..<n {
            let z = logits + b * o, t = teacher + b * o
            var mz = -Float.infinity, mt = -Float.infinity
            for j in 0..<o { mz = max(mz, z[j]); mt = max(mt, t[j]) }
            var sz: Float = 0, st: Float = 0
            for j in 0..<o { sz += Foundation.exp((z[j] - mz) / T); st += Foundation.exp((t[j] - mt) / T) }
            for j in 0..<o {
                let qz = Foundation.exp((z[j] - mz) / T) / sz
                let qt = Foundation.exp((t[j] - mt) / T) / st
                dLogits[b * o + j] = (1 - d) * dLogits[b * o + j] + k * (qz - qt)
            }
        }
    }
}
