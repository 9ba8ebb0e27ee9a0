import FluidModel
import XCTest

/// The geometry descriptors against the paper's network, written out once here: every other
/// file derives its shapes from `CNN`, so this is where a wrong derivation shows.
final class NetworkGeometryTests: XCTestCase {
    func testLayersMatchThePaper() {
        XCTAssertEqual(CNN.convs.map(\.side), [28, 14, 7])
        XCTAssertEqual(CNN.convs.map(\.paddedSide), [30, 16, 9])
        XCTAssertEqual(CNN.convs.map(\.pooledSide), [14, 7, 3])
        XCTAssertEqual(CNN.convs.map(\.name), ["conv1", "conv2", "conv3"])
        XCTAssertEqual(CNN.sides, [28, 14, 7, 3])
        XCTAssertEqual(CNN.imagePixels, 784)
        XCTAssertEqual(CNN.fc.side, 3)
        XCTAssertEqual(CNN.featuresPerChannel, 9)
        XCTAssertEqual(CNN.fcInputs, 144)
        XCTAssertEqual(CNN.conv1.inputs(width: 8), 1, "conv1 reads the image whatever the width")
        XCTAssertEqual(CNN.conv2.inputs(width: 8), 8)
        XCTAssertEqual(ConvLayer.taps, 9)
        XCTAssertEqual(ConvLayer.padding, 1)
    }

    func testTensorShapesAndCountsMatchTheWeightFile() {
        let shapes = CNNWeights.tensorShapes.map { "\($0.name) \($0.shape)" }
        XCTAssertEqual(shapes, ["conv1.weight [16, 1, 3, 3]", "conv1.bias [16]",
                                "conv2.weight [16, 16, 3, 3]", "conv2.bias [16]",
                                "conv3.weight [16, 16, 3, 3]", "conv3.bias [16]",
                                "fc.weight [10, 144]", "fc.bias [10]"])
        XCTAssertEqual(CNNWeights.parameterCount, 6250)
        let w = CNNWeights()
        XCTAssertEqual([w.conv1Weight.count, w.conv2Weight.count, w.conv3Weight.count, w.fcWeight.count],
                       [144, 2304, 2304, 1440])
        let s = SubnetWeights(zerosFor: 8..<12)
        XCTAssertEqual([s.conv1Weight.count, s.conv2Weight.count, s.fcWeight.count, s.fcInputs], [36, 144, 360, 36])
    }

    /// The MAC formula the benchmarks print (2205·C² + 7146·C), now summed from the layers.
    func testMacsPerImage() {
        for c in [4, 8, 12, 16] {
            XCTAssertEqual(CNN.macsPerImage(width: c), 2205 * c * c + 7146 * c, "C = \(c)")
        }
    }
}
