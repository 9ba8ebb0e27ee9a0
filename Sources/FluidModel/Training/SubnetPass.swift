import FluidKernels
import Foundation

/// Forward and backward of one sub-network over a batch, on preallocated buffers.
///
/// One instance per thread: it owns every activation and gradient buffer for up to
/// `capacity` images at full width, so a training step allocates nothing. Activations are
/// channels-last, compact to the sub-network's width s:
///   x [N,28,28,1] → a1 [N,28,28,s] → p1 [N,14,14,s] → a2 [N,14,14,s] → p2 [N,7,7,s]
///   → a3 [N,7,7,s] → p3 [N,3,3,s] = features [N, 9s] → logits [N,10]
/// (a* are post-ReLU conv outputs, p* the 2×2 max-pooled maps.)
public final class SubnetPass {
    public let capacity: Int
    let x, a1, p1, a2, p2, a3, p3: UnsafeMutablePointer<Float>
    let da1, dp1, da2, dp2, da3, dp3: UnsafeMutablePointer<Float>
    /// logits [capacity, 10] of the last forward.
    public let logits: UnsafeMutablePointer<Float>
    /// dLogits [capacity, 10]: the caller writes the loss gradient here before `backward`.
    public let dLogits: UnsafeMutablePointer<Float>
    /// Sum of logits [capacity, 10] while `forwardMean` runs several models.
    let logitSum: UnsafeMutablePointer<Float>
    public let labels: UnsafeMutablePointer<Int32>
    public let predictions: UnsafeMutablePointer<Int32>

    public init(capacity: Int) {
        self.capacity = capacity
        let c = CNN.fullWidth
        func buf(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        x = buf(capacity * 784)
        a1 = buf(capacity * 784 * c); da1 = buf(capacity * 784 * c)
        p1 = buf(capacity * 196 * c); dp1 = buf(capacity * 196 * c)
        a2 = buf(capacity * 196 * c); da2 = buf(capacity * 196 * c)
        p2 = buf(capacity * 49 * c); dp2 = buf(capacity * 49 * c)
        a3 = buf(capacity * 49 * c); da3 = buf(capacity * 49 * c)
        p3 = buf(capacity * 9 * c); dp3 = buf(capacity * 9 * c)
        logits = buf(capacity * CNN.classes); dLogits = buf(capacity * CNN.classes)
        logitSum = buf(capacity * CNN.classes)
        labels = .allocate(capacity: capacity); labels.initialize(repeating: 0, count: capacity)
        predictions = .allocate(capacity: capacity); predictions.initialize(repeating: 0, count: capacity)
    }

    deinit {
        for p in [x, a1, da1, p1, dp1, a2, da2, p2, dp2, a3, da3, p3, dp3, logits, dLogits, logitSum] { p.deallocate() }
        labels.deallocate(); predictions.deallocate()
    }

    /// Loads images (uint8 [count, 784], values / 255) into x [n,28,28,1] and labels, for
    /// `indices[0..<n]`. With a non-nil `shifts` (pairs dx, dy per image) each image is
    /// translated, zero-filled, by that many pixels (augmentation).
    public func load(images: UnsafePointer<UInt8>, labels src: UnsafePointer<UInt8>,
                     indices: UnsafeBufferPointer<Int>, shifts: UnsafePointer<Int8>? = nil) {
        precondition(indices.count <= capacity, "batch larger than the pass capacity")
        let scale: Float = 1 / 255
        for (b, index) in indices.enumerated() {
            let img = images + index * 784, dst = x + b * 784
            labels[b] = Int32(src[index])
            guard let shifts, shifts[2 * b] != 0 || shifts[2 * b + 1] != 0 else {
                for k in 0..<784 { dst[k] = Float(img[k]) * scale }
                continue
            }
            let dx = Int(shifts[2 * b]), dy = Int(shifts[2 * b + 1])
            for y in 0..<28 {
                let sy = y - dy
                for xx in 0..<28 {
                    let sx = xx - dx
                    dst[y * 28 + xx] = (sy >= 0 && sy < 28 && sx >= 0 && sx < 28)
                        ? Float(img[sy * 28 + sx]) * scale : 0
                }
            }
        }
    }

    /// logits [n,10] ← sub-network `w` on x [n,28,28,1].
    public func forward(_ w: SubnetWeights, n: Int) {
        let s = w.width
        w.conv1Weight.withUnsafeBufferPointer { cw in w.conv1Bias.withUnsafeBufferPointer { cb in
            Kernels.conv3x3Forward(input: x, weight: cw.baseAddress!, bias: cb.baseAddress!, output: a1,
                                   n: n, h: 28, w: 28, ic: 1, oc: s, relu: true)
        } }
        Kernels.maxPool2x2Forward(input: a1, output: p1, n: n, h: 28, w: 28, c: s)
        w.conv2Weight.withUnsafeBufferPointer { cw in w.conv2Bias.withUnsafeBufferPointer { cb in
            Kernels.conv3x3Forward(input: p1, weight: cw.baseAddress!, bias: cb.baseAddress!, output: a2,
                                   n: n, h: 14, w: 14, ic: s, oc: s, relu: true)
        } }
        Kernels.maxPool2x2Forward(input: a2, output: p2, n: n, h: 14, w: 14, c: s)
        w.conv3Weight.withUnsafeBufferPointer { cw in w.conv3Bias.withUnsafeBufferPointer { cb in
            Kernels.conv3x3Forward(input: p2, weight: cw.baseAddress!, bias: cb.baseAddress!, output: a3,
                                   n: n, h: 7, w: 7, ic: s, oc: s, relu: true)
        } }
        Kernels.maxPool2x2Forward(input: a3, output: p3, n: n, h: 7, w: 7, c: s)
        w.fcWeight.withUnsafeBufferPointer { fw in w.fcBias.withUnsafeBufferPointer { fb in
            Kernels.denseForward(input: p3, weight: fw.baseAddress!, bias: fb.baseAddress!, output: logits,
                                 n: n, f: 9 * s, o: CNN.classes)
        } }
    }

    /// Cross-entropy of the last forward against `labels`: returns the mean loss and the
    /// number correct; dLogits ← (softmax − onehot) · `scale` / n, so a half batch of a full
    /// batch N passes scale = n / N (and a loss weight multiplies in).
    public func crossEntropy(n: Int, scale: Float) -> (loss: Float, correct: Int) {
        let loss = Kernels.softmaxCrossEntropy(logits: logits, labels: labels, dLogits: dLogits,
                                               n: n, o: CNN.classes)
        if scale != 1 { for k in 0..<(n * CNN.classes) { dLogits[k] *= scale } }
        Kernels.argmax(logits, n: n, o: CNN.classes, into: predictions)
        var correct = 0
        for b in 0..<n where predictions[b] == labels[b] { correct += 1 }
        return (loss, correct)
    }

    /// Number of correct predictions of the last forward (no gradient).
    /// Forward of an ensemble: `logits` = the mean of the models' logits (one model: a plain
    /// forward). Leaves no state for `backward` (teachers and evaluation only).
    public func forwardMean(_ models: [SubnetWeights], n: Int) {
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

    public func countCorrect(n: Int) -> Int {
        Kernels.argmax(logits, n: n, o: CNN.classes, into: predictions)
        var correct = 0
        for b in 0..<n where predictions[b] == labels[b] { correct += 1 }
        return correct
    }

    /// Backward of the last forward from dLogits; ACCUMULATES into `grad` (compact, same
    /// channels as `w`). Must follow `forward(w, n:)` on the same pass.
    public func backward(_ w: SubnetWeights, n: Int, into grad: inout SubnetWeights) {
        let s = w.width
        w.fcWeight.withUnsafeBufferPointer { fw in
            grad.fcWeight.withUnsafeMutableBufferPointer { gw in grad.fcBias.withUnsafeMutableBufferPointer { gb in
                Kernels.denseBackward(input: p3, weight: fw.baseAddress!, dOutput: dLogits,
                                      dWeight: gw.baseAddress!, dBias: gb.baseAddress!, dInput: dp3,
                                      n: n, f: 9 * s, o: CNN.classes)
            } }
        }
        // conv3: pool → relu → weights, data
        Kernels.maxPool2x2Backward(input: a3, dOutput: dp3, dInput: da3, n: n, h: 7, w: 7, c: s)
        Kernels.reluBackward(output: a3, gradient: da3, count: n * 49 * s)
        grad.conv3Weight.withUnsafeMutableBufferPointer { gw in grad.conv3Bias.withUnsafeMutableBufferPointer { gb in
            Kernels.conv3x3BackwardWeights(input: p2, dOutput: da3, dWeight: gw.baseAddress!, dBias: gb.baseAddress!,
                                           n: n, h: 7, w: 7, ic: s, oc: s)
        } }
        w.conv3Weight.withUnsafeBufferPointer { cw in
            Kernels.conv3x3BackwardData(dOutput: da3, weight: cw.baseAddress!, dInput: dp2, n: n, h: 7, w: 7, ic: s, oc: s)
        }
        // conv2
        Kernels.maxPool2x2Backward(input: a2, dOutput: dp2, dInput: da2, n: n, h: 14, w: 14, c: s)
        Kernels.reluBackward(output: a2, gradient: da2, count: n * 196 * s)
        grad.conv2Weight.withUnsafeMutableBufferPointer { gw in grad.conv2Bias.withUnsafeMutableBufferPointer { gb in
            Kernels.conv3x3BackwardWeights(input: p1, dOutput: da2, dWeight: gw.baseAddress!, dBias: gb.baseAddress!,
                                           n: n, h: 14, w: 14, ic: s, oc: s)
        } }
        w.conv2Weight.withUnsafeBufferPointer { cw in
            Kernels.conv3x3BackwardData(dOutput: da2, weight: cw.baseAddress!, dInput: dp1, n: n, h: 14, w: 14, ic: s, oc: s)
        }
        // conv1 (no gradient for the image)
        Kernels.maxPool2x2Backward(input: a1, dOutput: dp1, dInput: da1, n: n, h: 28, w: 28, c: s)
        Kernels.reluBackward(output: a1, gradient: da1, count: n * 784 * s)
        grad.conv1Weight.withUnsafeMutableBufferPointer { gw in grad.conv1Bias.withUnsafeMutableBufferPointer { gb in
            Kernels.conv3x3BackwardWeights(input: x, dOutput: da1, dWeight: gw.baseAddress!, dBias: gb.baseAddress!,
                                           n: n, h: 28, w: 28, ic: 1, oc: s)
        } }
    }
}

extension SubnetPass {
    /// Mixes knowledge distillation into dLogits (after `crossEntropy`):
    ///   dLogits ← (1 − d)·dLogits + d · T · (softmax(z/T) − softmax(t/T)) · scale / n
    /// the gradient of (1 − d)·CE + d·T²·KL(softmax(t/T) ‖ softmax(z/T)) (Hinton et al.),
    /// with t the teacher's logits [n,10] and z this pass's logits.
    public func mixDistillation(teacher: UnsafePointer<Float>, n: Int, share d: Float,
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
