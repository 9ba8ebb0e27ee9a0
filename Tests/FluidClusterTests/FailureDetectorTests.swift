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
        // 199 ms of silence is fine, 200 ms is dead (ticks every 10 ms, as the shells run them).
        for t in stride(from: 60 * ms, through: 250 * ms, by: Int(10 * ms)) {
            XCTAssertFalse(d.onTick(now: t).contains { if case .markDead = $0 { return true }; return false })
        }
        XCTAssertFalse(d.onTick(now: 259 * ms).contains { if case .markDead = $0 { return true }; return false })
        XCTAssertEqual(d.onTick(now: 260 * ms), [.markDead("w", cause: .heartbeatTimeout, silentNanos: 200 * ms)])
        XCTAssertFalse(d.isAlive("w"))
        // Declared once.
        XCTAssertEqual(d.onTick(now: 270 * ms), [])
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

    /// A process that was itself stopped does not blame its peers for its own gap: they get
    /// a fresh timeout, and only their silence after the pause counts.
    func testOwnPauseGivesPeersAFreshTimeout() {
        var d = FailureDetector<String>()
        d.watch("p", now: 0)
        for t in stride(from: 0, through: 100 * ms, by: Int(10 * ms)) { _ = d.onTick(now: t) }
        // Paused (SIGSTOP) from 100 ms to 2.1 s: the first tick after sees a 2 s gap.
        let after = d.onTick(now: 2_100 * ms)
        XCTAssertEqual(after.first, .selfPaused(gapNanos: 2_000 * ms))
        XCTAssertFalse(after.contains { if case .markDead = $0 { return true }; return false })
        XCTAssertTrue(d.isAlive("p"))
        XCTAssertTrue(d.inPauseGrace(now: 2_200 * ms))
        // Silent for a whole fresh timeout after the pause: now it is dead.
        var dead = false
        for t in stride(from: 2_110 * ms, through: 2_310 * ms, by: Int(10 * ms)) {
            dead = dead || d.onTick(now: t).contains { if case .markDead = $0 { return true }; return false }
        }
        XCTAssertTrue(dead)
        XCTAssertFalse(d.inPauseGrace(now: 2_310 * ms))
    }

    /// An event handled before the overdue tick (a buffered frame, a close) also notices the pause.
    func testNoteTimeBeforeAnEventNoticesThePause() {
        var d = FailureDetector<String>()
        d.watch("p", now: 0)
        _ = d.onTick(now: 10 * ms)
        XCTAssertNil(d.noteTime(50 * ms))
        XCTAssertEqual(d.noteTime(900 * ms), .selfPaused(gapNanos: 850 * ms))
        XCTAssertNil(d.noteTime(905 * ms), "reported once")
        XCTAssertEqual(d.silence(of: "p", now: 905 * ms), 5 * ms)
    }
}
