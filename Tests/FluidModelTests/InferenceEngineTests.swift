import XCTest
import FluidKernels
import FluidModel

/// SubnetEngine vs a plain reference forward built from the scalar kernels and the store's
/// own slicing; JointEngine halves exchanged in-process vs SubnetEngine.
final class InferenceEngineTests: XCTestCase {
    struct RNG {
        var state: UInt64
        mutating func float() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float((state >> 40) & 0xFFFF) / 32768 - 1
        }
    }

    func randomWeights(_ connectivity: Connectivity, seed: UInt64) -> CNNWeights {
        var rng = RNG(state: seed)
        var w = CNNWeights()
        for i in w.conv1Weight.indices { w.conv1Weight[i] = rng.float() * 0.6 }
        for i in w.conv1Bias.indices { w.conv1Bias[i] = rng.float() * 0.1 }
        let c = CNN.fullWidth, taps = ConvLayer.taps
        for o in 0..<c { for i in 0..<c { for k in 0..<taps {
            let allowed = connectivity.allows(output: o, input: i)
            w.conv2Weight[(o * c + i) * taps + k] = allowed ? rng.float() * 0.3 : 0
            w.conv3Weight[(o * c + i) * taps + k] = allowed ? rng.float() * 0.3 : 0
        } } }
        for i in 0..<c { w.conv2Bias[i] = rng.float() * 0.1; w.conv3Bias[i] = rng.float() * 0.1 }
        for i in w.fcWeight.indices { w.fcWeight[i] = rng.float() * 0.3 }
        for i in w.fcBias.indices { w.fcBias[i] = rng.float() }
        return w
    }

    func randomImages(_ n: Int, seed: UInt64) -> [UInt8] {
        var rng = RNG(state: seed)
        return (0..<(n * CNN.imagePixels)).map { _ in UInt8(truncatingIfNeeded: Int((rng.float() + 1) * 200) - 100 < 0 ? 0 : Int((rng.float() + 1) * 127)) }
    }

    /// Reference forward of one sub-network with Reference.* on the compact slice.
    func referenceLogits(_ weights: CNNWeights, _ subnet: Subnet, _ images: [UInt8], _ n: Int) -> [Float] {
        let sw = weights.slice(subnet)
        let s = subnet.width
        let x = images.map { Float($0) / 255 }
        func convPool(_ input: [Float], _ wt: [Float], _ b: [Float], side: Int, ic: Int) -> [Float] {
            var full = [Float](repeating: 0, count: n * side * side * s)
            Reference.conv3x3Forward(input: input, weight: wt, bias: b, output: &full, n: n, h: side, w: side,
                                     ic: ic, oc: s, relu: true)
            var pooled = [Float](repeating: 0, count: n * (side / 2) * (side / 2) * s)
            Reference.maxPool2x2Forward(input: full, output: &pooled, n: n, h: side, w: side, c: s)
            return pooled
        }
        let a1 = convPool(x, sw.conv1Weight, sw.conv1Bias, side: CNN.conv1.side, ic: CNN.imageChannels)
        let a2 = convPool(a1, sw.conv2Weight, sw.conv2Bias, side: CNN.conv2.side, ic: s)
        let a3 = convPool(a2, sw.conv3Weight, sw.conv3Bias, side: CNN.conv3.side, ic: s)
        var logits = [Float](repeating: 0, count: n * CNN.classes)
        Reference.denseForward(input: a3, weight: sw.fcWeight, bias: sw.fcBias, output: &logits, n: n,
                               f: CNN.fc.inputs(width: s), o: CNN.classes)
        return logits
    }

    func assertClose(_ a: [Float], _ b: [Float], _ what: String, tol: Float = 1e-4, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, line: line)
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssert(worst <= tol, "\(what): max error \(worst)", line: line)
    }

    func testSubnetEngineMatchesReferenceForEverySubnet() {
        for conn in Connectivity.allCases {
            let w = randomWeights(conn, seed: conn == .dense ? 1 : 2)
            for n in [1, 3] {
                let images = randomImages(n, seed: UInt64(n))
                for subnet in Subnet.all {
                    let engine = SubnetEngine(weights: w, subnet: subnet, maxBatch: 2)
                    var got = [Float](repeating: .nan, count: n * CNN.classes)
                    engine.logits(images: images, count: n, into: &got)
                    let want = referenceLogits(w, subnet, images, n)
                    assertClose(got, want, "SubnetEngine \(subnet) \(conn) n=\(n)")
                    var labels = [Int32](repeating: -1, count: n), wantLabels = labels
                    engine.predict(images: images, count: n, into: &labels) // maxBatch 2 < n: chunks
                    Reference.argmax(want, n: n, o: CNN.classes, into: &wantLabels)
                    XCTAssertEqual(labels, wantLabels, "predict \(subnet) \(conn)")
                }
            }
        }
    }

    /// The own activations after layer l as the node exports them (`packOwnActivations`,
    /// the engine's one exporter), read back as floats.
    func exported(_ e: JointEngine, after l: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: e.activationCount(after: l, channels: e.ownChannels.count))
        let written = out.withUnsafeMutableBytes { e.packOwnActivations(after: l, toBytes: $0.baseAddress!) }
        XCTAssertEqual(written, out.count * 4)
        return out
    }

    /// Runs master and worker engines with the exchange done in-process; returns logits.
    func jointLogits(master: JointEngine, worker: JointEngine, images: [UInt8], n: Int, bias: [Float]) throws -> [Float] {
        try master.beginBatch(images: images, count: n)
        try worker.beginBatch(images: images, count: n)
        for l in 1...3 {
            master.computeLayer(l)
            worker.computeLayer(l)
            if worker.needsPeerActivations(after: l) {
                let sent = exported(master, after: l)
                try sent.withUnsafeBufferPointer { try worker.setPeerActivations(after: l, from: $0) }
            }
            if master.needsPeerActivations(after: l) {
                let sent = exported(worker, after: l)
                try sent.withUnsafeBufferPointer { try master.setPeerActivations(after: l, from: $0) }
            }
        }
        var pm = [Float](repeating: .nan, count: n * CNN.classes), pw = pm
        master.partialLogits(into: &pm)
        worker.partialLogits(into: &pw)
        let (logits, labels) = try JointEngine.combine(master: pm, worker: pw, bias: bias)
        var want = [Int32](repeating: -1, count: n)
        Reference.argmax(logits, n: n, o: CNN.classes, into: &want)
        XCTAssertEqual(labels.map(Int32.init), want, "combine's labels are the first maximum of its logits")
        return logits
    }

    /// The Master combines what the wire brings: ragged or mismatched partials are refused.
    func testCombineRefusesPartialsOfTheWrongSize() throws {
        let bias = [Float](repeating: 0, count: CNN.classes)
        let one = [Float](repeating: 1, count: CNN.classes), two = one + one
        XCTAssertThrowsError(try JointEngine.combine(master: two, worker: one, bias: bias)) {
            XCTAssertEqual($0 as? JointEngineError, .partialSize(master: 2 * CNN.classes, worker: CNN.classes, bias: CNN.classes))
        }
        XCTAssertThrowsError(try JointEngine.combine(master: Array(one.dropLast()), worker: Array(one.dropLast()), bias: bias))
        XCTAssertThrowsError(try JointEngine.combine(master: one, worker: one, bias: Array(bias.dropLast())))
        // A tie goes to the first class; the bias is added once per image.
        var m = two; m[CNN.classes + 3] = 5; m[CNN.classes + 7] = 5
        let (logits, labels) = try JointEngine.combine(master: m, worker: two, bias: bias)
        XCTAssertEqual(labels, [0, 3])
        XCTAssertEqual(logits[CNN.classes + 3], 6)
        let ramp = (0..<CNN.classes).map { Float($0) / 100 }
        let biased = try JointEngine.combine(master: m, worker: two, bias: ramp)
        XCTAssertEqual(biased.labels, [Int8(CNN.classes - 1), 7])
        XCTAssertEqual(biased.logits[3], 2.03, accuracy: 1e-6)
    }

    /// The node's question before it deploys a plan, answered from the weights alone,
    /// agrees with the engine that runs the plan, for every plan and role.
    func testPeerActivationNeedsMatchTheEngines() {
        for conn in Connectivity.allCases {
            let w = randomWeights(conn, seed: 8)
            for plan in Plan.allCases {
                for role in [Role.master, .worker] {
                    let needs = w.restricted(to: role).peerActivationNeeds(role: role, plan: plan)
                    guard case .joint(let s) = plan.job(for: role) else {
                        XCTAssertEqual(needs, [false, false], "\(plan) \(role)")
                        continue
                    }
                    let e = JointEngine(weights: w.restricted(to: role), role: role, subnet: s, maxBatch: 1)
                    XCTAssertEqual(needs, [e.needsPeerActivations(after: 1), e.needsPeerActivations(after: 2)], "\(plan) \(role) \(conn)")
                    XCTAssertEqual(needs, Array(repeating: role == .worker || conn == .dense, count: 2), "\(plan) \(role) \(conn)")
                }
            }
        }
    }

    func testJointEnginesMatchSubnetEngine() throws {
        for conn in Connectivity.allCases {
            let w = randomWeights(conn, seed: conn == .dense ? 3 : 4)
            for subnet in [Subnet.s100, .s75] {
                for n in [1, 5] {
                    let images = randomImages(n, seed: 10 + UInt64(n))
                    let solo = SubnetEngine(weights: w, subnet: subnet, maxBatch: n)
                    var want = [Float](repeating: 0, count: n * CNN.classes)
                    solo.logits(images: images, count: n, into: &want)
                    // Each device is given only what it holds.
                    let master = JointEngine(weights: w.restricted(to: .master), role: .master, subnet: subnet, maxBatch: 5)
                    let worker = JointEngine(weights: w.restricted(to: .worker), role: .worker, subnet: subnet, maxBatch: 5)
                    let got = try jointLogits(master: master, worker: worker, images: images, n: n, bias: w.fcBias)
                    assertClose(got, want, "joint \(subnet) \(conn) n=\(n)")
                    // The exchange is derived from the weights: triangular is one-way.
                    XCTAssertEqual(master.needsPeerActivations(after: 1), conn == .dense, "\(subnet) \(conn)")
                    XCTAssertEqual(master.needsPeerActivations(after: 2), conn == .dense, "\(subnet) \(conn)")
                    XCTAssertTrue(worker.needsPeerActivations(after: 1))
                    XCTAssertTrue(worker.needsPeerActivations(after: 2))
                    XCTAssertFalse(worker.needsPeerActivations(after: 3))
                    XCTAssertEqual(master.ownChannels, 0..<8)
                    XCTAssertEqual(worker.ownChannels, 8..<subnet.channels.upperBound)
                }
            }
        }
    }

    /// What a node packs straight into its outgoing frame at any alignment is what it packs
    /// into an aligned array, and nothing outside: 8 channels (SIMD path) and 4 (75's Worker).
    func testPackOwnActivationsToUnalignedBytesMatchesTheArray() throws {
        let w = randomWeights(.dense, seed: 6)
        let n = 3
        let images = randomImages(n, seed: 21)
        for (role, subnet) in [(Role.master, Subnet.s100), (.worker, .s100), (.worker, .s75)] {
            let e = JointEngine(weights: w.restricted(to: role), role: role, subnet: subnet, maxBatch: 4)
            try e.beginBatch(images: images, count: n)
            for l in 1...2 {
                e.computeLayer(l)
                let want = exported(e, after: l)
                XCTAssertEqual(want.count, e.activationCount(after: l, channels: e.ownChannels.count))
                var raw = [UInt8](repeating: 0xEE, count: 21 + want.count * 4 + 3)
                let written = raw.withUnsafeMutableBytes { e.packOwnActivations(after: l, toBytes: $0.baseAddress! + 21) }
                XCTAssertEqual(written, want.count * 4, "\(role) \(subnet) l=\(l)")
                XCTAssertEqual(Array(raw[21..<(21 + written)]), want.withUnsafeBytes { Array($0) }, "\(role) \(subnet) l=\(l)")
                XCTAssertEqual(raw[20], 0xEE); XCTAssertEqual(raw[21 + written], 0xEE) // nothing outside
                XCTAssertTrue(want.contains { $0 != 0 }, "activations should not be all zero")
            }
            var dummy: UInt8 = 0
            XCTAssertEqual(e.packOwnActivations(after: 3, toBytes: &dummy), 0)
        }
    }

    func testMasterNeverReadsWorkerWeights() throws {
        for conn in Connectivity.allCases {
            let w = randomWeights(conn, seed: 5)
            var garbage = w
            var rng = RNG(state: 77)
            let row1 = CNN.conv1.rowWeights(width: CNN.fullWidth), row = CNN.conv2.rowWeights(width: CNN.fullWidth)
            let f = CNN.featuresPerChannel
            for o in Role.worker.ownedChannels {
                for k in (o * row1)..<((o + 1) * row1) { garbage.conv1Weight[k] = rng.float() * 100 }
                garbage.conv1Bias[o] = 1e6; garbage.conv2Bias[o] = .nan; garbage.conv3Bias[o] = .infinity
                for k in (o * row)..<((o + 1) * row) { garbage.conv2Weight[k] = .nan; garbage.conv3Weight[k] = rng.float() * 100 }
                for j in 0..<CNN.classes { for p in 0..<f { garbage.fcWeight[j * CNN.fcInputs + o * f + p] = .nan } }
            }
            let images = randomImages(4, seed: 9)
            let worker = JointEngine(weights: w, role: .worker, subnet: .s100, maxBatch: 4)
            let clean = JointEngine(weights: w, role: .master, subnet: .s100, maxBatch: 4)
            let dirty = JointEngine(weights: garbage, role: .master, subnet: .s100, maxBatch: 4)
            let a = try jointLogits(master: clean, worker: worker, images: images, n: 4, bias: w.fcBias)
            let b = try jointLogits(master: dirty, worker: worker, images: images, n: 4, bias: w.fcBias)
            XCTAssertEqual(a, b, "master's result changed with garbage in the worker's rows (\(conn))")
            XCTAssertFalse(b.contains { !$0.isFinite })
        }
    }

    func testPeerActivationSizeIsValidated() throws {
        let w = randomWeights(.dense, seed: 6)
        let e = JointEngine(weights: w, role: .master, subnet: .s100, maxBatch: 2)
        try e.beginBatch(images: randomImages(2, seed: 1), count: 2)
        let peer = e.peerChannels.count, after1 = 2 * CNN.sides[1] * CNN.sides[1] * peer
        let short = [Float](repeating: 0, count: after1 - 1)
        XCTAssertThrowsError(try short.withUnsafeBufferPointer { try e.setPeerActivations(after: 1, from: $0) }) {
            XCTAssertEqual($0 as? JointEngineError, .peerActivationSize(layer: 1, expected: after1, got: after1 - 1))
        }
        XCTAssertThrowsError(try [Float](repeating: 0, count: 7).withUnsafeBufferPointer { try e.setPeerActivations(after: 2, from: $0) })
        XCTAssertThrowsError(try [Float](repeating: 0, count: 1).withUnsafeBufferPointer { try e.setPeerActivations(after: 3, from: $0) }) {
            XCTAssertEqual($0 as? JointEngineError, .noExchange(layer: 3))
        }
        XCTAssertThrowsError(try e.beginBatch(images: randomImages(3, seed: 1), count: 3))
        let ok = [Float](repeating: 0, count: 2 * CNN.sides[2] * CNN.sides[2] * peer)
        XCTAssertNoThrow(try ok.withUnsafeBufferPointer { try e.setPeerActivations(after: 2, from: $0) })
    }
}
