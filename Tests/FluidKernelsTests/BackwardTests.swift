import XCTest
import FluidKernels

/// Fast backward kernels vs their scalar twins, over channel counts around the vector width.
final class BackwardTests: XCTestCase {
    let channelCounts = [1, 3, 4, 7, 8, 9, 12, 16, 17]

    func testConvBackwardWeightsMatchesReference() {
        var seed: UInt64 = 100
        for oc in channelCounts {
            for (n, h, w, ic) in [(1, 5, 7, 16), (3, 4, 3, oc), (2, 7, 7, 1), (1, 14, 14, 9)] {
                seed += 1
                var rng = TestRNG(seed: seed)
                let input = rng.floats(n * h * w * ic), dOut = rng.floats(n * h * w * oc)
                let start = rng.floats(oc * ic * 9), startB = rng.floats(oc)
                var wantW = start, wantB = startB, gotW = start, gotB = startB
                Reference.conv3x3BackwardWeights(input: input, dOutput: dOut, dWeight: &wantW, dBias: &wantB,
                                                 n: n, h: h, w: w, ic: ic, oc: oc)
                Kernels.conv3x3BackwardWeights(input: input, dOutput: dOut, dWeight: &gotW, dBias: &gotB,
                                               n: n, h: h, w: w, ic: ic, oc: oc)
                assertClose(gotW, wantW, tol: 2e-4, "conv dW n=\(n) h=\(h) w=\(w) ic=\(ic) oc=\(oc)")
                assertClose(gotB, wantB, tol: 2e-4, "conv dB n=\(n) h=\(h) w=\(w) ic=\(ic) oc=\(oc)")
            }
        }
    }

    func testConvBackwardDataMatchesReference() {
        var seed: UInt64 = 200
        for ic in channelCounts {
            for (n, h, w, oc) in [(1, 5, 7, 16), (3, 4, 3, ic), (2, 7, 7, 8), (1, 14, 14, 4)] {
                seed += 1
                var rng = TestRNG(seed: seed)
                let weight = rng.floats(oc * ic * 9), dOut = rng.floats(n * h * w * oc)
                var want = [Float](repeating: .nan, count: n * h * w * ic), got = want
                Reference.conv3x3BackwardData(dOutput: dOut, weight: weight, dInput: &want, n: n, h: h, w: w, ic: ic, oc: oc)
                Kernels.conv3x3BackwardData(dOutput: dOut, weight: weight, dInput: &got, n: n, h: h, w: w, ic: ic, oc: oc)
                assertClose(got, want, "conv dX n=\(n) h=\(h) w=\(w) ic=\(ic) oc=\(oc)")
            }
        }
    }

    func testPoolAndReluMatchReference() {
        var seed: UInt64 = 300
        for c in channelCounts {
            for (n, h, w) in [(1, 28, 28), (3, 7, 7), (2, 14, 14), (1, 3, 5)] {
                seed += 1
                var rng = TestRNG(seed: seed)
                // Quantised values so ties (first max wins) actually happen.
                let input = rng.floats(n * h * w * c).map { ($0 * 3).rounded() }
                var want = [Float](repeating: .nan, count: n * (h / 2) * (w / 2) * c), got = want
                Reference.maxPool2x2Forward(input: input, output: &want, n: n, h: h, w: w, c: c)
                Kernels.maxPool2x2Forward(input: input, output: &got, n: n, h: h, w: w, c: c)
                XCTAssertEqual(got, want, "pool forward c=\(c) h=\(h) w=\(w)")
                let dOut = rng.floats(want.count)
                var wantD = [Float](repeating: .nan, count: input.count), gotD = wantD
                Reference.maxPool2x2Backward(input: input, dOutput: dOut, dInput: &wantD, n: n, h: h, w: w, c: c)
                Kernels.maxPool2x2Backward(input: input, dOutput: dOut, dInput: &gotD, n: n, h: h, w: w, c: c)
                XCTAssertEqual(gotD, wantD, "pool backward c=\(c) h=\(h) w=\(w)")

                var gWant = rng.floats(input.count), gGot = gWant
                Reference.reluBackward(output: input, gradient: &gWant, count: input.count)
                Kernels.reluBackward(output: input, gradient: &gGot, count: input.count)
                XCTAssertEqual(gGot, gWant, "relu backward c=\(c)")
            }
        }
    }

    func testDenseMatchesReference() {
        var seed: UInt64 = 400
        for (n, f, o) in [(1, 144, 10), (5, 36, 10), (64, 72, 10), (3, 17, 3), (2, 7, 1), (1, 108, 10)] {
            seed += 1
            var rng = TestRNG(seed: seed)
            let input = rng.floats(n * f), weight = rng.floats(o * f), bias = rng.floats(o)
            var want = [Float](repeating: .nan, count: n * o), got = want
            Reference.denseForward(input: input, weight: weight, bias: bias, output: &want, n: n, f: f, o: o)
            Kernels.denseForward(input: input, weight: weight, bias: bias, output: &got, n: n, f: f, o: o)
            assertClose(got, want, "dense forward n=\(n) f=\(f) o=\(o)")
            let dOut = rng.floats(n * o)
            var wW = rng.floats(o * f), wB = rng.floats(o)
            var gW = wW, gB = wB
            var wX = [Float](repeating: .nan, count: n * f), gX = wX
            Reference.denseBackward(input: input, weight: weight, dOutput: dOut, dWeight: &wW, dBias: &wB,
                                    dInput: &wX, n: n, f: f, o: o)
            Kernels.denseBackward(input: input, weight: weight, dOutput: dOut, dWeight: &gW, dBias: &gB,
                                  dInput: &gX, n: n, f: f, o: o)
            assertClose(gW, wW, "dense dW"); assertClose(gB, wB, "dense dB"); assertClose(gX, wX, "dense dX")
            // nil dInput: weights still accumulate.
            var nW = [Float](repeating: 0, count: o * f), nB = [Float](repeating: 0, count: o)
            Kernels.denseBackward(input: input, weight: weight, dOutput: dOut, dWeight: &nW, dBias: &nB,
                                  dInput: nil, n: n, f: f, o: o)
            XCTAssert(nW.contains { $0 != 0 })
        }
    }

    func testSoftmaxAndArgmaxMatchReference() {
        var rng = TestRNG(seed: 500)
        for n in [1, 3, 64] {
            let logits = rng.floats(n * 10, scale: 5)
            let labels = (0..<n).map { Int32($0 % 10) }
            var want = [Float](repeating: .nan, count: n * 10), got = want
            let lw = Reference.softmaxCrossEntropy(logits: logits, labels: labels, dLogits: &want, n: n, o: 10)
            let lg = Kernels.softmaxCrossEntropy(logits: logits, labels: labels, dLogits: &got, n: n, o: 10)
            XCTAssertEqual(lg, lw, accuracy: 1e-5)
            assertClose(got, want, "softmax dLogits n=\(n)")
            var aw = [Int32](repeating: -1, count: n), ag = aw
            Reference.argmax(logits, n: n, o: 10, into: &aw)
            Kernels.argmax(logits, n: n, o: 10, into: &ag)
            XCTAssertEqual(ag, aw)
        }
    }
}
