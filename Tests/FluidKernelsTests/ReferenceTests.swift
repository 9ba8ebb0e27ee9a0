import XCTest
import FluidKernels

/// Hand-computed cases pinning the scalar twins, which every fast kernel is compared with.
final class ReferenceTests: XCTestCase {
    func testConvForwardHandComputed() {
        // 1 image 2x2, IC=1, OC=1, all-ones weight: each output = bias + sum of the 2x2 (pad 1 sees all).
        let input: [Float] = [1, 2, 3, 4]
        let weight = [Float](repeating: 1, count: 9)
        let bias: [Float] = [0.5]
        var out = [Float](repeating: 0, count: 4)
        Reference.conv3x3Forward(input: input, weight: weight, bias: bias, output: &out,
                                 n: 1, h: 2, w: 2, ic: 1, oc: 1, relu: false)
        XCTAssertEqual(out, [10.5, 10.5, 10.5, 10.5])
        // Centre-only weight with negative value and ReLU.
        var centre = [Float](repeating: 0, count: 9); centre[4] = -1
        Reference.conv3x3Forward(input: input, weight: centre, bias: [2.5], output: &out,
                                 n: 1, h: 2, w: 2, ic: 1, oc: 1, relu: true)
        XCTAssertEqual(out, [1.5, 0.5, 0, 0])
    }

    func testMaxPoolFloorAndFirstMax() {
        // 3x3 single channel: floor keeps only the top-left 2x2 window.
        let input: [Float] = [1, 5, 9,
                               5, 2, 9,
                               9, 9, 9]
        var out: [Float] = [0]
        Reference.maxPool2x2Forward(input: input, output: &out, n: 1, h: 3, w: 3, c: 1)
        XCTAssertEqual(out, [5])
        var dIn = [Float](repeating: 7, count: 9)
        Reference.maxPool2x2Backward(input: input, dOutput: [3], dInput: &dIn, n: 1, h: 3, w: 3, c: 1)
        XCTAssertEqual(dIn, [0, 3, 0, 0, 0, 0, 0, 0, 0]) // first max (row-major) wins, rest zeroed
    }

    func testSoftmaxCrossEntropyUniform() {
        let logits = [Float](repeating: 0, count: 8) // 2 rows of 4 equal logits
        var d = [Float](repeating: 9, count: 8)
        let loss = Reference.softmaxCrossEntropy(logits: logits, labels: [1, 3], dLogits: &d, n: 2, o: 4)
        XCTAssertEqual(loss, log(4), accuracy: 1e-6)
        XCTAssertEqual(d[0], 0.125, accuracy: 1e-7)
        XCTAssertEqual(d[1], -0.375, accuracy: 1e-7)
    }

    func testArgmaxFirstMax() {
        var out: [Int32] = [9, 9]
        Reference.argmax([1, 3, 3, 0, -1, -2, -3, -0.5], n: 2, o: 4, into: &out)
        XCTAssertEqual(out, [1, 3])
    }
}
