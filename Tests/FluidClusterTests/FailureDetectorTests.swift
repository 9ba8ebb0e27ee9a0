import XCTest
import FluidCluster

final class FailureDetectorTests: XCTestCase {
    let ms: UInt64 = 1_000_000

    func testHeartbeatsDueAndTimeoutWithFakeClock() {
        var d = FailureDetector<String>()
        d.watch("w", now: 0)
        XCTAssertEqual(d.onTick(now: 0), [.sendHeartbeat("w")])
        XCTAssertEqual(d.onTick(now: 10 * ms), [])
        XCTAssertEqual(d.onTick(now: 50 * ms), [.sendHeartbeat("w")])
        d.onHeard(from: "w", now: 60 * ms)
        // 199 ms of silence is fine, 200 ms is dead.
        XCTAssertFalse(d.onTick(now: 259 * ms).contains { if case .markDead = $0 { return true }; return false })
        XCTAssertEqual(d.onTick(now: 260 * ms), [.markDead("w", cause: .heartbeatTimeout, silentNanos: 200 * ms)])
        XCTAssertFalse(d.isAlive("w"))
        // Declared once.
        XCTAssertEqual(d.onTick(now: 900 * ms), [])
    }

    func testConnectionClosedIsImmediateAndOnce() {
        var d = FailureDetector<String>()
        d.watch("m", now: 0)
        XCTAssertEqual(d.onConnectionClosed("m", now: 5 * ms), .markDead("m", cause: .connectionClosed, silentNanos: 5 * ms))
        XCTAssertNil(d.onConnectionClosed("m", now: 6 * ms))
        // A new handshake watches it afresh.
        d.watch("m", now: 10 * ms)
        XCTAssertTrue(d.isAlive("m"))
    }

    func testDetectionBoundIsTimeoutPlusTick() {
        let s = ClusterSettings()
        XCTAssertLessThan(s.deadTimeout.nanoseconds + s.tickInterval.nanoseconds, 500 * ms)
        XCTAssertEqual(s.heartbeatInterval.nanoseconds, 50 * ms)
    }
}
