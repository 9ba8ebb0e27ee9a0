import FluidKernels

/// One device's share of a joint (HA) run of sub-network `100` or `75` (docs/model.md,
/// "Joint (HA) execution").
///
/// The device computes only its own output channels, own = role.ownedChannels ∩ subnet,
/// from the weight rows it holds (all input columns of its rows) and the fc columns of
/// its own features; it never reads another weight. Per batch:
///
///     beginBatch(images:count:)
///     for l in 1...3 {
///         computeLayer(l)
///         if peer needs them (JointSplit.needsPeerActivations) { send packOwnActivations(after: l, toBytes:) }
///         if needsPeerActivations(after: l)                   { setPeerActivations(after: l, from: received) }
///     }
///     partialLogits(into:)  -> the Worker sends it; the Master: JointEngine.combine(...)
///
/// Which activations cross is `JointSplit`'s pure query on the weights' zero blocks.
///
/// An engine owns its scratch buffers: use it from one thread at a time (make one engine
/// per thread or per in-flight batch: a SubnetEngine is ~20 KB, a JointEngine ~2 MB at maxBatch 64).
package final class JointEngine {
    package let role: Role
    package let subnet: Subnet
    package let maxBatch: Int
    /// Output channels this device computes (absolute channel numbers).
    package let ownChannels: Range<Int>
    /// Channels of the subnet the peer computes (absolute).
    package let peerChannels: Range<Int>
    /// Images of the current batch.
    package private(set) var count = 0

    let width: Int, ownLo: Int, peerLo: Int
    let conv1: Conv3x3Plan, conv2: Conv3x3Plan, conv3: Conv3x3Plan
    let fc: FCPlan
    /// needsPeer[l - 1]: this device reads the peer's channels after layer l (1, 2).
    let needsPeer: [Bool]
    /// The padded input of conv1 [N, paddedSide², 1]; the padded inputs of conv2 and conv3
    /// at the subnet's width, [N, paddedSide², s], where both sides' channels meet; own
    /// features [N, fc side², own].
    let input: UnsafeMutablePointer<Float>
    let act1: UnsafeMutablePointer<Float>, act2: UnsafeMutablePointer<Float>
    let features: UnsafeMutablePointer<Float>

    package init(weights: CNNWeights, role: Role, subnet: Subnet, maxBatch: Int) {
        self.role = role
        self.subnet = subnet
        self.maxBatch = max(1, maxBatch)
        let s = subnet.channels
        let split = JointSplit(role: role, subnet: subnet)
        let own = split.own
        ownChannels = own
        peerChannels = split.peer
        width = s.count
        ownLo = own.lowerBound - s.lowerBound
        peerLo = split.peer.lowerBound - s.lowerBound

        needsPeer = split.peerActivationNeeds(in: weights)
        let peer2 = needsPeer[0], peer3 = needsPeer[1]
        // Columns read: the whole subnet if a peer column matters, else own only.
        let cols2 = peer2 ? s : own, cols3 = peer3 ? s : own
        let lo2 = cols2.lowerBound - s.lowerBound, lo3 = cols3.lowerBound - s.lowerBound

        let image = 0..<CNN.imageChannels
        conv1 = Conv3x3Plan(weights.conv1Weight, weights.conv1Bias, layer: CNN.conv1, rows: own, columns: image,
                            inStride: CNN.imageChannels, icLo: 0)
        conv2 = Conv3x3Plan(weights.conv2Weight, weights.conv2Bias, layer: CNN.conv2, rows: own, columns: cols2,
                            inStride: s.count, icLo: lo2)
        conv3 = Conv3x3Plan(weights.conv3Weight, weights.conv3Bias, layer: CNN.conv3, rows: own, columns: cols3,
                            inStride: s.count, icLo: lo3)
        fc = FCPlan(weights: weights, channels: own)

        let n = self.maxBatch
        func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            p.initialize(repeating: 0, count: max(1, count))
            return p
        }
        input = zeroed(n * CNN.conv1.paddedPixels * CNN.imageChannels)
        act1 = zeroed(n * CNN.conv2.paddedPixels * s.count)
        act2 = zeroed(n * CNN.conv3.paddedPixels * s.count)
        features = zeroed(n * CNN.fc.inputs(width: own.count))
    }

    deinit {
        input.deallocate(); act1.deallocate(); act2.deallocate()
        features.deallocate()
    }

    /// True iff this device's rows of layer l+1 read the peer's channels after layer l
    /// (so it must receive them before `computeLayer(l + 1)`). Always false for l = 3.
    package func needsPeerActivations(after l: Int) -> Bool {
        JointSplit.exchangedLayers.contains(l) ? needsPeer[l - 1] : false
    }

    /// Floats of one side's activations after layer l for the current batch.
    package func activationCount(after l: Int, channels: Int) -> Int {
        guard (1...3).contains(l) else { return 0 }
        return count * CNN.sides[l] * CNN.sides[l] * channels
    }

    /// Starts a batch: images [N, imagePixels] bytes, N ≤ maxBatch.
    package func beginBatch(images: UnsafePointer<UInt8>, count: Int) throws {
        guard count >= 0 && count <= maxBatch else { throw JointEngineError.batchTooLarge(count, max: maxBatch) }
        self.count = count
        let stride = CNN.conv1.paddedPixels * CNN.imageChannels
        for b in 0..<count { ImageInput.load(images + b * CNN.imagePixels, into: input + b * stride) }
    }

    /// The padded map that holds both sides' channels after layer l (1 or 2): the input of
    /// conv l+1, and its side.
    private func exchangeMap(after l: Int) -> (map: UnsafeMutablePointer<Float>, paddedSide: Int) {
        l == 1 ? (act1, CNN.conv2.paddedSide) : (act2, CNN.conv3.paddedSide)
    }

    /// conv + bias + ReLU + pool of layer l (1…3) for the own channels, reading own (and,
    /// if needed, the peer's already set) channels of layer l − 1.
    package func computeLayer(_ l: Int) {
        let s = width, n = count, pad = ConvLayer.padding
        switch l {
        case 1, 2:
            // The pooled map goes into the interior of the next layer's padded input.
            let (map, side) = exchangeMap(after: l)
            let plan = l == 1 ? conv1 : conv2
            plan.forwardPooled(input: l == 1 ? input : act1, n: n, output: map + (pad * side + pad) * s,
                               outImageStride: side * side * s, outRowStride: side * s, outPixelStride: s,
                               outChannel: ownLo)
        case 3:
            let f = ownChannels.count, side = CNN.fc.side
            conv3.forwardPooled(input: act2, n: n, output: features, outImageStride: side * side * f,
                                outRowStride: side * f, outPixelStride: f, outChannel: 0)
        default:
            break
        }
    }

    /// The own channels after layer l (1 or 2), packed [N, side, side, own] as raw float32
    /// bytes (native = little-endian, as on the wire) at `out`, which may be unaligned: a
    /// node packs straight into its outgoing frame. Returns the bytes written
    /// (`activationCount(after: l, channels: ownChannels.count) * 4`), 0 for l outside 1…2.
    package func packOwnActivations(after l: Int, toBytes out: UnsafeMutableRawPointer) -> Int {
        guard l == 1 || l == 2 else { return 0 }
        let f = ownChannels.count
        let (map, padSide) = exchangeMap(after: l)
        let side = CNN.sides[l], s = width, pad = ConvLayer.padding
        var k = 0
        for b in 0..<count {
            for y in 0..<side {
                for x in 0..<side {
                    let src = map + ((b * padSide + y + pad) * padSide + x + pad) * s + ownLo
                    if f == SIMD8<Float>.scalarCount {
                        (out + k).storeBytes(of: UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                    } else {
                        for i in 0..<f { (out + k + 4 * i).storeBytes(of: src[i], as: Float.self) }
                    }
                    k += 4 * f
                }
            }
        }
        return k
    }

    /// One pixel's channels: 8 floats (each side of `100`) as one SIMD move, because a
    /// memmove call per pixel costs as much as the rest of the exchange.
    @inline(__always)
    static func copy(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        if count == SIMD8<Float>.scalarCount {
            UnsafeMutableRawPointer(dst).storeBytes(of: UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
        } else {
            for i in 0..<count { dst[i] = src[i] }
        }
    }

    /// Stores the peer's channels after layer l (1 or 2), packed [N, side, side, peer].
    package func setPeerActivations(after l: Int, from values: UnsafeBufferPointer<Float>) throws {
        guard l == 1 || l == 2 else { throw JointEngineError.noExchange(layer: l) }
        let p = peerChannels.count
        let expected = activationCount(after: l, channels: p)
        guard values.count == expected else {
            throw JointEngineError.peerActivationSize(layer: l, expected: expected, got: values.count)
        }
        guard let base = values.baseAddress, expected > 0 else { return }
        let (map, padSide) = exchangeMap(after: l)
        let side = CNN.sides[l], s = width, pad = ConvLayer.padding
        var k = 0
        for b in 0..<count {
            for y in 0..<side {
                for x in 0..<side {
                    Self.copy(base + k, to: map + ((b * padSide + y + pad) * padSide + x + pad) * s + peerLo, count: p)
                    k += p
                }
            }
        }
    }

    /// partial logits [N, classes] = own features · own fc columns (no bias) after `computeLayer(3)`.
    package func partialLogits(into out: UnsafeMutablePointer<Float>) {
        let f = CNN.fc.inputs(width: ownChannels.count)
        for b in 0..<count { fc.apply(features + b * f, initial: nil, into: out + b * CNN.classes) }
    }

    /// The Master's last step of a joint batch: logits [N, classes] = (master partial +
    /// worker partial) + fc bias [classes], and each image's class (the first maximum, as
    /// `SubnetEngine.predict`). Partials of different or ragged sizes, or a bias that is not
    /// one per class, are refused: the worker's partial comes off the wire.
    package static func combine(master: [Float], worker: [Float], bias: [Float]) throws -> (logits: [Float], labels: [Int8]) {
        let classes = CNN.classes
        guard master.count == worker.count, master.count % classes == 0, bias.count == classes else {
            throw JointEngineError.partialSize(master: master.count, worker: worker.count, bias: bias.count)
        }
        let n = master.count / classes
        var logits = [Float](repeating: 0, count: master.count)
        for b in 0..<n {
            for k in 0..<classes {
                let i = b * classes + k
                logits[i] = (master[i] + worker[i]) + bias[k]
            }
        }
        var best = [Int32](repeating: 0, count: n)
        Kernels.argmax(logits, n: n, o: classes, into: &best)
        return (logits, best.map { Int8($0) })
    }
}

package enum JointEngineError: Error, CustomStringConvertible, Equatable {
    case batchTooLarge(Int, max: Int)
    case peerActivationSize(layer: Int, expected: Int, got: Int)
    case noExchange(layer: Int)
    case partialSize(master: Int, worker: Int, bias: Int)

    public var description: String {
        switch self {
        case .batchTooLarge(let n, let m): return "joint engine: batch of \(n) images exceeds maxBatch \(m)"
        case .peerActivationSize(let l, let e, let g):
            return "joint engine: peer activations after layer \(l) have \(g) floats, expected \(e)"
        case .noExchange(let l): return "joint engine: no activations are exchanged after layer \(l)"
        case .partialSize(let m, let w, let b):
            return "joint engine: cannot combine partial logits of \(m) and \(w) floats with \(b) biases (\(CNN.classes) per image)"
        }
    }
}
