import XCTest
import FluidKernels

/// Kernels.conv3x3Forward and Conv3x3Plan vs the scalar twin over channel counts around the
/// vector width (1…17), odd batches and batch 1, and the network's own shapes.
final class ConvForwardTests: XCTestCase {
    func check(n: Int, h: Int, w: Int, ic: Int, oc: Int, relu: Bool, seed: UInt64) {
        var rng = TestRNG(seed: seed)
        let input = rng.floats(n * h * w * ic)
        let weight = rng.floats(oc * ic * 9, scale: 0.5)
        let bias = rng.floats(oc)
        var want = [Float](repeating: .nan, count: n * h * w * oc)
        var got = [Float](repeating: .nan, count: n * h * w * oc)
        Reference.conv3x3Forward(input: input, weight: weight, bias: bias, output: &want,
                                 n: n, h: h, w: w, ic: ic, oc: oc, relu: relu)
        Kernels.conv3x3Forward(input: input, weight: weight, bias: bias, output: &got,
                               n: n, h: h, w: w, ic: ic, oc: oc, relu: relu)
        assertClose(got, want, "conv3x3Forward n=\(n) h=\(h) w=\(w) ic=\(ic) oc=\(oc) relu=\(relu)")
    }

    func testChannelCountsAroundVectorWidth() {
        let counts = [1, 3, 4, 7, 8, 9, 12, 16, 17]
        var seed: UInt64 = 1
        for oc in counts {
            for ic in [1, 4, 9, 16, 17] {
                seed += 1
                check(n: 1, h: 5, w: 7, ic: ic, oc: oc, relu: seed % 2 == 0, seed: seed)
            }
        }
    }

    func testOddBatchesAndNetworkShapes() {
        for (n, h, ic, oc) in [(3, 28, 1, 16), (1, 14, 16, 16), (5, 7, 16, 16), (2, 14, 8, 8),
                               (3, 7, 4, 4), (1, 28, 1, 4), (2, 7, 12, 12), (1, 1, 3, 5), (2, 2, 2, 9)] {
            check(n: n, h: h, w: h, ic: ic, oc: oc, relu: true, seed: UInt64(n * 1000 + h * 10 + oc))
        }
    }

    /// The fused conv + bias + ReLU + pool of a channel sub-range, as the inference engines use it.
    func testPooledChannelRangeMatchesReference() {
        var rng = TestRNG(seed: 99)
        for (h, rows, cols, inStride, icLo) in [(7, 8..<16, 0..<16, 16, 0), (14, 0..<8, 0..<8, 16, 0),
                                               (28, 4..<8, 0..<1, 1, 0), (7, 8..<12, 8..<12, 12, 8),
                                               (14, 0..<12, 0..<12, 12, 0), (7, 0..<4, 0..<4, 16, 0)] {
            let n = 3, w = h, fullOC = 16, fullIC = max(cols.upperBound, 1)
            let weight = rng.floats(fullOC * fullIC * 9, scale: 0.5)
            let bias = rng.floats(fullOC)
            let compact = rng.floats(n * h * w * inStride)
            // Reference: slice weights to [rows, cols], input to channels icLo..<icLo+cols.count.
            let ic = cols.count, oc = rows.count
            var wSlice = [Float](), inSlice = [Float]()
            for o in rows { for i in cols { for k in 0..<9 { wSlice.append(weight[(o * fullIC + i) * 9 + k]) } } }
            for p in 0..<(n * h * w) { for i in 0..<ic { inSlice.append(compact[p * inStride + icLo + i]) } }
            var full = [Float](repeating: 0, count: n * h * w * oc)
            Reference.conv3x3Forward(input: inSlice, weight: wSlice, bias: Array(bias[rows]), output: &full,
                                     n: n, h: h, w: w, ic: ic, oc: oc, relu: true)
            var want = [Float](repeating: 0, count: n * (h / 2) * (w / 2) * oc)
            Reference.maxPool2x2Forward(input: full, output: &want, n: n, h: h, w: w, c: oc)

            var padded = [Float](repeating: .nan, count: Padding.paddedCount(n: n, h: h, w: w, c: inStride))
            Padding.pad(compact, into: &padded, n: n, h: h, w: w, c: inStride)
            let plan = Conv3x3Plan(weight: weight, weightInputs: fullIC, bias: bias, rows: rows, columns: cols,
                                   h: h, w: w, inStride: inStride, icLo: icLo)
            // Output into a wider buffer at a channel offset, to test the strides.
            let outC = oc + 3
            var out = [Float](repeating: -7, count: n * (h / 2) * (w / 2) * outC)
            plan.forwardPooled(input: padded, n: n, output: &out, outImageStride: (h / 2) * (w / 2) * outC,
                               outRowStride: (w / 2) * outC, outPixelStride: outC, outChannel: 2)
            var got = [Float]()
            for p in 0..<(n * (h / 2) * (w / 2)) {
                XCTAssertEqual(out[p * outC], -7); XCTAssertEqual(out[p * outC + 1], -7)
                XCTAssertEqual(out[p * outC + 2 + oc], -7)
                for o in 0..<oc { got.append(out[p * outC + 2 + o]) }
            }
            assertClose(got, want, "forwardPooled h=\(h) rows=\(rows) cols=\(cols)")
        }
    }
}
