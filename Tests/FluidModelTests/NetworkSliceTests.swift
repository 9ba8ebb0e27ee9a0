import FluidModel
import XCTest

/// Sub-network slices: compact tensors, the fc feature permutation, isolation from the rest.
final class NetworkSliceTests: XCTestCase {
    /// The PyTorch-layout forward, written straight from the paper's network (docs/model.md:
    /// NCHW loops, fc feature c·9 + y·3 + x), with no slicing, permutation or kernel: what the
    /// compact path must match. Its shapes are literal on purpose, so that it checks the
    /// `CNN` descriptors instead of sharing them.
    private func naiveLogits(_ w: CNNWeights, channels S: Range<Int>, image: ArraySlice<UInt8>) -> [Float] {
        var x: [[Float]] = [image.map { Float($0) / 255 }] // [C][H*W]
        var side = 28
        let convs = [(w.conv1Weight, w.conv1Bias, 1), (w.conv2Weight, w.conv2Bias, 16), (w.conv3Weight, w.conv3Bias, 16)]
        for (layer, (W, B, icFull)) in convs.enumerated() {
            let inputs: [Int] = layer == 0 ? [0] : Array(S)
            var out: [[Float]] = []
            for o in S {
                var plane = [Float](repeating: 0, count: side * side)
                for y in 0..<side { for xx in 0..<side {
                    var acc = B[o]
                    for (k, i) in inputs.enumerated() { for ky in 0..<3 { for kx in 0..<3 {
                        let iy = y + ky - 1, ix = xx + kx - 1
                        guard iy >= 0, iy < side, ix >= 0, ix < side else { continue }
                        acc += x[k][iy * side + ix] * W[((o * icFull + i) * 3 + ky) * 3 + kx]
                    } } }
                    plane[y * side + xx] = max(acc, 0)
                } }
                let ps = side / 2
                var pooled = [Float](repeating: 0, count: ps * ps)
                for y in 0..<ps { for xx in 0..<ps {
                    pooled[y * ps + xx] = max(max(plane[2 * y * side + 2 * xx], plane[2 * y * side + 2 * xx + 1]),
                                              max(plane[(2 * y + 1) * side + 2 * xx], plane[(2 * y + 1) * side + 2 * xx + 1]))
                } }
                out.append(pooled)
            }
            x = out
            side /= 2
        }
        return (0..<10).map { j in
            var acc = w.fcBias[j]
            for (k, c) in S.enumerated() { for p in 0..<9 { acc += x[k][p] * w.fcWeight[j * 144 + c * 9 + p] } }
            return acc
        }
    }

    func testCompactForwardMatchesPyTorchLayoutForEverySubnet() {
        let w = NetFixtures.randomWeights(seed: 7)
        let set = NetFixtures.randomImages(3, seed: 8)
        for subnet in Subnet.all {
            let got = NetFixtures.logits(w, subnet, set, n: 3)
            for b in 0..<3 {
                let want = naiveLogits(w, channels: subnet.channels, image: set.images[(b * 784)..<((b + 1) * 784)])
                for j in 0..<10 {
                    XCTAssertEqual(got[b * 10 + j], want[j], accuracy: 1e-3 * max(1, abs(want[j])),
                                   "subnet \(subnet) image \(b) class \(j)")
                }
            }
        }
    }

    /// A sub-network reads only its slice: changing every other weight leaves its logits
    /// bit-identical, and changing one weight inside the slice does not.
    func testSubnetOutputIgnoresWeightsOutsideItsSlice() {
        let w = NetFixtures.randomWeights(seed: 11)
        let other = NetFixtures.randomWeights(seed: 12)
        let set = NetFixtures.randomImages(4, seed: 13)
        for subnet in Subnet.all {
            let inside = ParameterSet.slice(subnet) + .fcBias
            let a = w.flattened, b = other.flattened
            let mixed = CNNWeights(flattened: (0..<a.count).map { inside.mask[$0] != 0 ? a[$0] : b[$0] })!
            XCTAssert(NetFixtures.logits(w, subnet, set, n: 4) == NetFixtures.logits(mixed, subnet, set, n: 4),
                      "subnet \(subnet) changed when weights outside its slice changed")
            var touched = w
            for c in subnet.channels { for p in 0..<9 { touched.fcWeight[3 * 144 + c * 9 + p] += 1 } }
            XCTAssert(NetFixtures.logits(w, subnet, set, n: 4) != NetFixtures.logits(touched, subnet, set, n: 4),
                      "subnet \(subnet) ignored a weight of its own slice")
        }
    }

    func testScatterIsTheInverseOfSlice() {
        let w = NetFixtures.randomWeights(seed: 21)
        for subnet in Subnet.all {
            var back = CNNWeights()
            back.addScattered(w.slice(subnet))
            let inside = ParameterSet.slice(subnet) + .fcBias
            let expected = zip(w.flattened, inside.mask).map { $1 != 0 ? $0 : 0 }
            XCTAssert(back.flattened == expected, "subnet \(subnet)")
            XCTAssert(back.slice(subnet) == w.slice(subnet), "subnet \(subnet)")
        }
        XCTAssertEqual((ParameterSet.slice(.s100) + .fcBias).count, CNNWeights.parameterCount)
        XCTAssertEqual(ParameterSet.slice(.s25).count, 4 * 9 + 4 * 3 + 2 * 16 * 9 + 10 * 36)
    }
}
