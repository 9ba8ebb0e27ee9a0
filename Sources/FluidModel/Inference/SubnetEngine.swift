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
package final class SubnetEngine {
    package let subnet: Subnet
    package let maxBatch: Int
    let conv1: Conv3x3Plan, conv2: Conv3x3Plan, conv3: Conv3x3Plan
    let fc: FCPlan
    let fcBias: UnsafeMutablePointer<Float>
    /// The zero-bordered input of conv1, conv2, conv3 ([paddedSide², channels]) and the
    /// pooled conv3 output [fc side², s].
    let pad1: UnsafeMutablePointer<Float>, pad2: UnsafeMutablePointer<Float>, pad3: UnsafeMutablePointer<Float>
    let features: UnsafeMutablePointer<Float>
    let logitScratch: UnsafeMutablePointer<Float>

    package init(weights: CNNWeights, subnet: Subnet, maxBatch: Int) {
        self.subnet = subnet
        self.maxBatch = max(1, maxBatch)
        let s = subnet.width, ch = subnet.channels
        let image = 0..<CNN.imageChannels
        conv1 = Conv3x3Plan(weights.conv1Weight, weights.conv1Bias, layer: CNN.conv1, rows: ch, columns: image,
                            inStride: CNN.imageChannels, icLo: 0)
        conv2 = Conv3x3Plan(weights.conv2Weight, weights.conv2Bias, layer: CNN.conv2, rows: ch, columns: ch,
                            inStride: s, icLo: 0)
        conv3 = Conv3x3Plan(weights.conv3Weight, weights.conv3Bias, layer: CNN.conv3, rows: ch, columns: ch,
                            inStride: s, icLo: 0)
        fc = FCPlan(weights: weights, channels: ch)
        fcBias = .allocate(capacity: CNN.classes)
        for k in 0..<CNN.classes { fcBias[k] = weights.fcBias[k] }
        func zeroed(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        pad1 = zeroed(CNN.conv1.paddedPixels * CNN.imageChannels)
        pad2 = zeroed(CNN.conv2.paddedPixels * s)
        pad3 = zeroed(CNN.conv3.paddedPixels * s)
        features = zeroed(CNN.fc.inputs(width: s))
        logitScratch = .allocate(capacity: self.maxBatch * CNN.classes)
    }

    deinit {
        fcBias.deallocate(); pad1.deallocate(); pad2.deallocate(); pad3.deallocate()
        features.deallocate(); logitScratch.deallocate()
    }

    /// images [N, imagePixels] bytes (value = byte / 255) -> logits [N, classes]. Any N ≥ 0
    /// works; `maxBatch` only sizes the scratch of `predict`.
    package func logits(images: UnsafePointer<UInt8>, count: Int, into logits: UnsafeMutablePointer<Float>) {
        let s = subnet.width
        // Each pooled map goes straight into the interior of the next layer's padded input.
        let side2 = CNN.conv2.paddedSide, side3 = CNN.conv3.paddedSide, pad = ConvLayer.padding
        let out2 = pad2 + (pad * side2 + pad) * s, out3 = pad3 + (pad * side3 + pad) * s
        let featureRow = CNN.fc.side * s
        for b in 0..<count {
            ImageInput.load(images + b * CNN.imagePixels, into: pad1)
            conv1.forwardPooled(input: pad1, n: 1, output: out2,
                                outImageStride: 0, outRowStride: side2 * s, outPixelStride: s)
            conv2.forwardPooled(input: pad2, n: 1, output: out3,
                                outImageStride: 0, outRowStride: side3 * s, outPixelStride: s)
            conv3.forwardPooled(input: pad3, n: 1, output: features,
                                outImageStride: 0, outRowStride: featureRow, outPixelStride: s)
            fc.apply(features, initial: fcBias, into: logits + b * CNN.classes)
        }
    }

    /// images [N, imagePixels] bytes -> predicted class [N] (first max of the logits).
    package func predict(images: UnsafePointer<UInt8>, count: Int, into labels: UnsafeMutablePointer<Int32>) {
        var done = 0
        while done < count {
            let k = min(maxBatch, count - done)
            logits(images: images + done * CNN.imagePixels, count: k, into: logitScratch)
            Kernels.argmax(logitScratch, n: k, o: CNN.classes, into: labels + done)
            done += k
        }
    }
}
