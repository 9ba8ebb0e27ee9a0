import FluidKernels

/// Runs one sub-network alone on one device (plans `25`, `50`, `u25`, `u50`, and `75`/`100`
/// on one box): "prepare once, run many" — the slice is packed at init, all buffers are
/// preallocated, `logits` allocates nothing.
///
/// Per image the activations stay in L1 (≤ 16 KB), so images go through the whole network
/// one at a time: conv+ReLU+pool fused per layer, pooled maps written straight into the
/// zero-bordered input of the next layer.
///
/// An engine owns its scratch buffers: use it from one thread at a time (make one engine
/// per thread or per in-flight batch: a SubnetEngine is ~20 KB, a JointEngine ~2 MB at maxBatch 64).
public final class SubnetEngine {
    public let subnet: Subnet
    public let maxBatch: Int
    let conv1: Conv3x3Plan, conv2: Conv3x3Plan, conv3: Conv3x3Plan
    let fc: FCPlan
    let fcBias: UnsafeMutablePointer<Float>
    /// padded [30,30,1], [16,16,s], [9,9,s]; pooled conv3 output [3,3,s].
    let pad1: UnsafeMutablePointer<Float>, pad2: UnsafeMutablePointer<Float>, pad3: UnsafeMutablePointer<Float>
    let features: UnsafeMutablePointer<Float>
    let logitScratch: UnsafeMutablePointer<Float>

    public init(weights: CNNWeights, subnet: Subnet, maxBatch: Int) {
        self.subnet = subnet
        self.maxBatch = max(1, maxBatch)
        let s = subnet.width, ch = subnet.channels
        conv1 = weights.conv1Weight.withUnsafeBufferPointer { w in
            weights.conv1Bias.withUnsafeBufferPointer { b in
                Conv3x3Plan(weight: w.baseAddress!, weightInputs: 1, bias: b.baseAddress!, rows: ch, columns: 0..<1,
                            h: 28, w: 28, inStride: 1, icLo: 0)
            }
        }
        conv2 = weights.conv2Weight.withUnsafeBufferPointer { w in
            weights.conv2Bias.withUnsafeBufferPointer { b in
                Conv3x3Plan(weight: w.baseAddress!, weightInputs: 16, bias: b.baseAddress!, rows: ch, columns: ch,
                            h: 14, w: 14, inStride: s, icLo: 0)
            }
        }
        conv3 = weights.conv3Weight.withUnsafeBufferPointer { w in
            weights.conv3Bias.withUnsafeBufferPointer { b in
                Conv3x3Plan(weight: w.baseAddress!, weightInputs: 16, bias: b.baseAddress!, rows: ch, columns: ch,
                            h: 7, w: 7, inStride: s, icLo: 0)
            }
        }
        fc = FCPlan(weights: weights, channels: ch)
        fcBias = .allocate(capacity: CNN.classes)
        for k in 0..<CNN.classes { fcBias[k] = weights.fcBias[k] }
        pad1 = .allocate(capacity: 30 * 30)
        pad1.initialize(repeating: 0, count: 30 * 30)
        pad2 = .allocate(capacity: 16 * 16 * s)
        pad2.initialize(repeating: 0, count: 16 * 16 * s)
        pad3 = .allocate(capacity: 9 * 9 * s)
        pad3.initialize(repeating: 0, count: 9 * 9 * s)
        features = .allocate(capacity: 9 * s)
        features.initialize(repeating: 0, count: 9 * s)
        logitScratch = .allocate(capacity: self.maxBatch * CNN.classes)
    }

    deinit {
        fcBias.deallocate(); pad1.deallocate(); pad2.deallocate(); pad3.deallocate()
        features.deallocate(); logitScratch.deallocate()
    }

    /// images [N, 784] bytes (value = byte / 255) -> logits [N, 10]. Any N ≥ 0 works;
    /// `maxBatch` only sizes the scratch of `predict`.
    public func logits(images: UnsafePointer<UInt8>, count: Int, into logits: UnsafeMutablePointer<Float>) {
        let s = subnet.width
        for b in 0..<count {
            ImageInput.load(images + b * CNN.imagePixels, into: pad1)
            conv1.forwardPooled(input: pad1, n: 1, output: pad2 + (16 + 1) * s,
                                outImageStride: 0, outRowStride: 16 * s, outPixelStride: s)
            conv2.forwardPooled(input: pad2, n: 1, output: pad3 + (9 + 1) * s,
                                outImageStride: 0, outRowStride: 9 * s, outPixelStride: s)
            conv3.forwardPooled(input: pad3, n: 1, output: features,
                                outImageStride: 0, outRowStride: 3 * s, outPixelStride: s)
            fc.apply(features, initial: fcBias, into: logits + b * CNN.classes)
        }
    }

    /// images [N, 784] bytes -> predicted class [N] (first max of the logits).
    public func predict(images: UnsafePointer<UInt8>, count: Int, into labels: UnsafeMutablePointer<Int32>) {
        var done = 0
        while done < count {
            let k = min(maxBatch, count - done)
            logits(images: images + done * CNN.imagePixels, count: k, into: logitScratch)
            Kernels.argmax(logitScratch, n: k, o: CNN.classes, into: labels + done)
            done += k
        }
    }
}
