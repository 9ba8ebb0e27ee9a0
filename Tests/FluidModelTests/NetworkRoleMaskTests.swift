import FluidModel
import XCTest

/// Who holds which weights, and the triangular mask (docs/model.md).
final class NetworkRoleMaskTests: XCTestCase {
    func testRestrictedKeepsExactlyTheHeldRows() {
        let w = NetFixtures.randomWeights(seed: 31)
        for role in Role.allCases {
            let r = w.restricted(to: role)
            let held = role.ownedChannels
            let c = CNN.fullWidth, taps = ConvLayer.taps, row = CNN.conv2.rowWeights(width: c)
            let f = CNN.featuresPerChannel
            for o in 0..<c {
                let keep = held.contains(o)
                for k in 0..<taps { XCTAssertEqual(r.conv1Weight[o * taps + k], keep ? w.conv1Weight[o * taps + k] : 0) }
                XCTAssertEqual(r.conv1Bias[o], keep ? w.conv1Bias[o] : 0)
                XCTAssertEqual(r.conv2Bias[o], keep ? w.conv2Bias[o] : 0)
                XCTAssertEqual(r.conv3Bias[o], keep ? w.conv3Bias[o] : 0)
                // all input columns of a held row, none of another row
                for k in (o * row)..<((o + 1) * row) {
                    XCTAssertEqual(r.conv2Weight[k], keep ? w.conv2Weight[k] : 0, "\(role) conv2 row \(o)")
                    XCTAssertEqual(r.conv3Weight[k], keep ? w.conv3Weight[k] : 0, "\(role) conv3 row \(o)")
                }
            }
            for j in 0..<CNN.classes { for ch in 0..<c { for p in 0..<f {
                let k = j * CNN.fcInputs + ch * f + p
                XCTAssertEqual(r.fcWeight[k], held.contains(ch) ? w.fcWeight[k] : 0, "\(role) fc[\(j),\(ch)·\(f)+\(p)]")
            } } }
            XCTAssertEqual(r.fcBias, w.fcBias, "both devices hold the fc bias")
        }
        // Every weight but the shared fc bias is held by exactly one device.
        let m = w.restricted(to: .master).flattened, k = w.restricted(to: .worker).flattened
        let biasAt = CNNWeights.flatOffsets["fc.bias"]!
        for i in 0..<biasAt { XCTAssertEqual(m[i] + k[i], w.flattened[i]); XCTAssert(m[i] == 0 || k[i] == 0) }
    }

    /// A device's own sub-networks run on its restricted weights alone.
    func testEachDeviceRunsItsSubnetsOnItsOwnWeights() {
        let w = NetFixtures.randomWeights(seed: 33)
        let set = NetFixtures.randomImages(2, seed: 34)
        for (role, subnets) in [(Role.master, [Subnet.s25, .s50]), (.worker, [.u25, .u50])] {
            for s in subnets {
                XCTAssertEqual(NetFixtures.logits(w.restricted(to: role), s, set, n: 2), NetFixtures.logits(w, s, set, n: 2),
                               "\(s) on the \(role)")
            }
        }
    }

    func testTriangularMaskZeroesExactlyTheUpperBlocks() {
        var w = NetFixtures.randomWeights(seed: 41)
        XCTAssertNotNil(w.maskViolation(.triangular))
        XCTAssertEqual(w.inferredConnectivity, .dense)
        w.applyMask(.triangular)
        XCTAssertNil(w.maskViolation(.triangular))
        XCTAssertEqual(w.inferredConnectivity, .triangular)
        let c = CNN.fullWidth, taps = ConvLayer.taps, g = CNN.groupWidth
        for o in 0..<c { for i in 0..<c { for k in 0..<taps {
            let idx = (o * c + i) * taps + k
            let forbidden = i / g > o / g
            XCTAssertEqual(w.conv2Weight[idx] == 0, forbidden, "conv2[\(o),\(i)]")
            XCTAssertEqual(w.conv3Weight[idx] == 0, forbidden, "conv3[\(o),\(i)]")
        } } }
        XCTAssertEqual(ParameterSet.allowed(by: .triangular).count,
                       CNNWeights.parameterCount - 2 * 6 * (g * g * taps)) // 6 forbidden group blocks per conv
    }
}
