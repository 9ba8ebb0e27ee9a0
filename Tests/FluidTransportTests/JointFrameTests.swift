import FluidCluster
import FluidModel
import FluidTransport
import NIOCore
import XCTest

/// The activation frames a node builds on its compute thread must be the very bytes the
/// wire codec produces for the same message, and decode back to it.
final class JointFrameTests: XCTestCase {
    func testActivationFrameIsTheCodecsFrame() throws {
        var w = CNNWeights()
        // Small deterministic non-zero weights: activations must carry real values.
        for i in w.conv1Weight.indices { w.conv1Weight[i] = Float((i * 7) % 11) / 20 - 0.2 }
        for i in w.conv2Weight.indices { w.conv2Weight[i] = Float((i * 5) % 13) / 40 - 0.1 }
        for i in w.conv1Bias.indices { w.conv1Bias[i] = 0.05 }
        let n = 3
        let images = (0..<(n * CNN.imagePixels)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for role in Role.allCases {
            let e = JointEngine(weights: w.restricted(to: role), role: role, subnet: .s100, maxBatch: 4)
            try e.beginBatch(images: images, count: n)
            for l in 1...2 {
                e.computeLayer(l)
                let floats = e.activationCount(after: l, channels: e.ownChannels.count)
                var values = [Float](repeating: .nan, count: floats)
                let written = values.withUnsafeMutableBytes { e.packOwnActivations(after: l, toBytes: $0.baseAddress!) }
                XCTAssertEqual(written, floats * 4)
                XCTAssertTrue(values.contains { $0 != 0 }, "activations should not be all zero")
                let m = Message.jointActivations(batch: 77, layer: l, values: values)
                var frame = JointFrame.activations(batch: 77, layer: l, engine: e)
                let bytes = frame.readBytes(length: frame.readableBytes) ?? []
                XCTAssertEqual(bytes, m.encodedFrame(), "\(role) l=\(l)")
                XCTAssertEqual(try bytes.withUnsafeBytes { try FrameDecoder.frame(in: $0) }?.message, m, "\(role) l=\(l)")
            }
        }
    }
}
