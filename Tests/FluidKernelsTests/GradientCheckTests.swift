import XCTest
import FluidKernels

/// Finite-difference checks of every backward kernel (fast versions): for a random
/// projection r, L = Σ r · forward(θ), and the analytic dL/dθ from the backward kernel
/// must match (L(θ+ε) − L(θ−ε)) / 2ε on sampled coordinates.
final class GradientCheckTests: XCTestCase {
    func fdCheck(_ what: String, params: inout [Float], analytic: [Float], samples: Int = 12, eps: Float = 1e-2,
                 tol: Float = 2e-2, seed: UInt64, loss: ([Float]) -> Double) {
        var rng = TestRNG(seed: seed)
        for _ in 0..<samples {
            let k = Int(rng.next() % UInt64(params.count))
            let saved = params[k]
            params[k] = saved + eps; let lp = loss(params)
            params[k] = saved - eps; let lm = loss(params)
            params[k] = saved
            let numeric = Float((lp - lm) / Double(2 * eps))
            XCTAssertEqual(analytic[k], numeric, accuracy: tol * max(1, abs(numeric)), "\(what) coordinate \(k)")
        }
    }

    func project(_ v: [Float], _ r: [Float]) -> Double { zip(v, r).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    func testConvGradients() {
        let (n, h, w, ic, oc) = (2, 6, 5, 3, 9)
        var rng = TestRNG(seed: 1)
        var input = rng.floats(n * h * w * ic), weight = rng.floats(oc * ic * 9), bias = rng.floats(oc)
        let r = rng.floats(n * h * w * oc)
        func fwd(_ x: [Float], _ wt: [Float], _ b: [Float]) -> Double {
            var out = [Float](repeating: 0, count: n * h * w * oc)
            Kernels.conv3x3Forward(input: x, weight: wt, bias: b, output: &out, n: n, h: h, w: w, ic: ic, oc: oc, relu: false)
            return project(out, r)
        }
        var dW = [Float](repeating: 0, count: weight.count), dB = [Float](repeating: 0, count: oc)
        var dX = [Float](repeating: 0, count: input.count)
        Kernels.conv3x3BackwardWeights(input: input, dOutput: r, dWeight: &dW, dBias: &dB, n: n, h: h, w: w, ic: ic, oc: oc)
        Kernels.conv3x3BackwardData(dOutput: r, weight: weight, dInput: &dX, n: n, h: h, w: w, ic: ic, oc: oc)
        let (x0, w0, b0) = (input, weight, bias)
        fdCheck("conv dW", params: &weight, analytic: dW, seed: 2) { fwd(x0, $0, b0) }
        fdCheck("conv dB", params: &bias, analytic: dB, seed: 3) { fwd(x0, w0, $0) }
        fdCheck("conv dX", params: &input, analytic: dX, seed: 4) { fwd($0, w0, b0) }
    }

    func testReluAndPoolGradients() {
        let (n, h, w, c) = (2, 7, 6, 9)
        var rng = TestRNG(seed: 5)
        var x = rng.floats(n * h * w * c).map { $0 + ($0 > 0 ? 0.05 : -0.05) } // away from the kink
        let r = rng.floats(n * (h / 2) * (w / 2) * c)
        func fwd(_ v: [Float]) -> Double {
            let relu = v.map { max($0, 0) }
            var pooled = [Float](repeating: 0, count: r.count)
            Kernels.maxPool2x2Forward(input: relu, output: &pooled, n: n, h: h, w: w, c: c)
            return project(pooled, r)
        }
        let relu = x.map { max($0, 0) }
        var dRelu = [Float](repeating: .nan, count: x.count)
        Kernels.maxPool2x2Backward(input: relu, dOutput: r, dInput: &dRelu, n: n, h: h, w: w, c: c)
        Kernels.reluBackward(output: relu, gradient: &dRelu, count: x.count)
        fdCheck("relu+pool dX", params: &x, analytic: dRelu, samples: 40, eps: 1e-3, seed: 6, loss: fwd)
    }

    func testDenseAndSoftmaxGradients() {
        let (n, f, o) = (3, 20, 10)
        var rng = TestRNG(seed: 7)
        var x = rng.floats(n * f), wt = rng.floats(o * f), b = rng.floats(o)
        let labels: [Int32] = [3, 0, 9]
        func loss(_ x: [Float], _ wt: [Float], _ b: [Float]) -> Double {
            var logits = [Float](repeating: 0, count: n * o), d = logits
            Kernels.denseForward(input: x, weight: wt, bias: b, output: &logits, n: n, f: f, o: o)
            return Double(Kernels.softmaxCrossEntropy(logits: logits, labels: labels, dLogits: &d, n: n, o: o))
        }
        var logits = [Float](repeating: 0, count: n * o), dLogits = logits
        Kernels.denseForward(input: x, weight: wt, bias: b, output: &logits, n: n, f: f, o: o)
        _ = Kernels.softmaxCrossEntropy(logits: logits, labels: labels, dLogits: &dLogits, n: n, o: o)
        var dW = [Float](repeating: 0, count: wt.count), dB = [Float](repeating: 0, count: o)
        var dX = [Float](repeating: .nan, count: x.count)
        Kernels.denseBackward(input: x, weight: wt, dOutput: dLogits, dWeight: &dW, dBias: &dB, dInput: &dX, n: n, f: f, o: o)
        let (x0, w0, b0) = (x, wt, b)
        fdCheck("dense dW", params: &wt, analytic: dW, eps: 1e-2, seed: 8) { loss(x0, $0, b0) }
        fdCheck("dense dB", params: &b, analytic: dB, eps: 1e-2, seed: 9) { loss(x0, w0, $0) }
        fdCheck("dense dX", params: &x, analytic: dX, eps: 1e-2, seed: 10) { loss($0, w0, b0) }
    }
}
