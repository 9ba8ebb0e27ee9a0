import XCTest
import FluidCluster

final class AutoModeTests: XCTestCase {
    func testSwitchesWithHysteresisAndDwell() {
        var a = AutoMode()
        // HA saturated at 1000 img/s: capacity 1000. Offered 700 fits.
        XCTAssertNil(a.onSample(now: 10, running: .ha, throughput: 1000, saturated: true, offeredRate: 700))
        XCTAssertEqual(a.haCapacity, 1000)
        // Offered 900 > 85 %: HT.
        let d = a.onSample(now: 11, running: .ha, throughput: 1000, saturated: true, offeredRate: 900)
        XCTAssertEqual(d?.mode, .ht)
        XCTAssertTrue(d?.reason.contains("900") ?? false)
        // 700 is inside the band (65 %…85 %): stay in HT.
        XCTAssertNil(a.onSample(now: 20, running: .ht, throughput: 700, saturated: false, offeredRate: 700))
        // 600 < 65 % but within the dwell time: stay.
        var b = a
        XCTAssertNil(b.onSample(now: 12, running: .ht, throughput: 600, saturated: false, offeredRate: 600))
        XCTAssertEqual(a.onSample(now: 21, running: .ht, throughput: 600, saturated: false, offeredRate: 600)?.mode, .ha)
    }

    func testUnboundedRateGoesHT() {
        var a = AutoMode()
        XCTAssertEqual(a.onSample(now: 5, running: .ha, throughput: 800, saturated: true, offeredRate: nil)?.mode, .ht)
    }
}
