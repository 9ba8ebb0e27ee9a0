import XCTest
import FluidModel
import FluidCluster

final class RequestTrackerTests: XCTestCase {
    func testExactlyOneAnswerPerRequest() {
        var t = RequestTracker()
        for id in 0..<10 as Range<UInt64> { t.submit(id, now: 0) }
        let a = t.nextBatch(for: .master, max: 4)
        XCTAssertEqual(a, [0, 1, 2, 3])
        XCTAssertEqual(t.onAnswer(0, label: 3, now: 5), .accepted(latencyNanos: 5))
        XCTAssertEqual(t.onAnswer(0, label: 3, now: 6), .duplicate)
        XCTAssertEqual(t.answered, 1)
        XCTAssertEqual(t.duplicates, 1)
        XCTAssertEqual(t.onAnswer(777, label: 1, now: 6), .duplicate, "never sent")
    }

    func testDeadDeviceRequestsAreRedispatchedFirstAndLateAnswersDeduped() {
        var t = RequestTracker()
        for id in 0..<8 as Range<UInt64> { t.submit(id, now: 0) }
        XCTAssertEqual(t.nextBatch(for: .master, max: 3), [0, 1, 2])
        XCTAssertEqual(t.nextBatch(for: .worker, max: 3), [3, 4, 5])
        _ = t.onAnswer(1, label: 1, now: 1)
        XCTAssertEqual(t.onDeviceDown(.master), [0, 2])
        XCTAssertEqual(t.inFlight(on: .master), 0)
        // The survivor gets the dead device's requests before fresh ones.
        XCTAssertEqual(t.nextBatch(for: .worker, max: 3), [0, 2, 6])
        // The dead device resumes and answers late: the first answer wins, the second is ignored.
        XCTAssertEqual(t.onAnswer(0, label: 4, now: 2), .accepted(latencyNanos: 2))
        XCTAssertEqual(t.onAnswer(0, label: 4, now: 3), .duplicate)
        for id in [2, 3, 4, 5, 6] as [UInt64] { _ = t.onAnswer(id, label: 0, now: 4) }
        XCTAssertEqual(t.nextBatch(for: .worker, max: 9), [7])
        _ = t.onAnswer(7, label: 0, now: 5)
        XCTAssertEqual(t.outstanding, 0)
        XCTAssertEqual(t.sent, t.answered)
        XCTAssertEqual(t.redispatched, 2)
    }

    func testNoPlanAnswersPendingUnavailableButNotInFlight() {
        var t = RequestTracker()
        for id in 0..<5 as Range<UInt64> { t.submit(id, now: 0) }
        _ = t.nextBatch(for: .worker, max: 2)
        XCTAssertEqual(t.answerPendingUnavailable(now: 1), [2, 3, 4])
        XCTAssertEqual(t.unavailable, 3)
        XCTAssertEqual(t.outstanding, 2)
        t.onDeviceDown(.worker)
        XCTAssertEqual(t.answerPendingUnavailable(now: 2), [0, 1])
        XCTAssertEqual(t.outstanding, 0)
        XCTAssertEqual(t.sent, t.answered)
        XCTAssertEqual(t.nextBatch(for: .master, max: 10), [])
    }

    func testRejectedRequestsAreRoutedAgain() {
        var t = RequestTracker()
        for id in 0..<3 as Range<UInt64> { t.submit(id, now: 0) }
        _ = t.nextBatch(for: .worker, max: 3)
        t.onReject([1, 2, 50], from: .worker)
        XCTAssertEqual(t.state(of: 1), .pending)
        XCTAssertEqual(t.state(of: 0), .inFlight(.worker))
        XCTAssertEqual(t.nextBatch(for: .master, max: 5), [1, 2])
    }
}
