import XCTest
import FluidModel
import FluidCluster

final class RequestTrackerTests: XCTestCase {
    func submit(_ t: inout RequestTracker, _ n: Int, now: UInt64 = 0) {
        for k in 0..<n { XCTAssertEqual(t.submit(now: now), UInt64(t.sent - 1), "ids are the source's counter (\(k))") }
    }

    func testExactlyOneAnswerPerRequest() {
        var t = RequestTracker()
        submit(&t, 10)
        let a = t.nextBatch(for: .master, max: 4)
        XCTAssertEqual(a, [0, 1, 2, 3])
        XCTAssertEqual(t.onAnswer(0, label: 3, from: .master, now: 5), .accepted(latencyNanos: 5))
        XCTAssertEqual(t.onAnswer(0, label: 3, from: .master, now: 6), .duplicate)
        XCTAssertEqual(t.answered, 1)
        XCTAssertEqual(t.duplicates, 1)
        XCTAssertEqual(t.onAnswer(777, label: 1, from: .master, now: 6), .duplicate, "never sent")
        XCTAssertEqual(t.onAnswer(1, label: 1, from: .worker, now: 6), .duplicate, "in flight on the Master, not the Worker")
        XCTAssertEqual(t.onAnswer(5, label: 1, from: .master, now: 6), .duplicate, "pending, never sent")
    }

    func testDeadDeviceRequestsAreRedispatchedFirstAndLateAnswersDeduped() {
        var t = RequestTracker()
        submit(&t, 8)
        XCTAssertEqual(t.nextBatch(for: .master, max: 3), [0, 1, 2])
        XCTAssertEqual(t.nextBatch(for: .worker, max: 3), [3, 4, 5])
        _ = t.onAnswer(1, label: 1, from: .master, now: 1)
        XCTAssertEqual(t.onDeviceDown(.master), [0, 2])
        XCTAssertEqual(t.inFlight(on: .master), 0)
        // The survivor gets the dead device's requests before fresh ones.
        XCTAssertEqual(t.nextBatch(for: .worker, max: 3), [0, 2, 6])
        // The dead device resumes and answers late: not counted (re-sent to the Worker).
        XCTAssertEqual(t.onAnswer(0, label: 4, from: .master, now: 2), .duplicate)
        XCTAssertEqual(t.onAnswer(0, label: 4, from: .worker, now: 2), .accepted(latencyNanos: 2))
        XCTAssertEqual(t.onAnswer(0, label: 4, from: .worker, now: 3), .duplicate)
        for id in [2, 3, 4, 5, 6] as [UInt64] { _ = t.onAnswer(id, label: 0, from: .worker, now: 4) }
        XCTAssertEqual(t.nextBatch(for: .worker, max: 9), [7])
        _ = t.onAnswer(7, label: 0, from: .worker, now: 5)
        XCTAssertEqual(t.outstanding, 0)
        XCTAssertEqual(t.sent, t.answered)
        XCTAssertEqual(t.redispatched, 2)
    }

    func testNoPlanAnswersPendingUnavailableButNotInFlight() {
        var t = RequestTracker()
        submit(&t, 5)
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
        submit(&t, 3)
        _ = t.nextBatch(for: .worker, max: 3)
        t.onReject([1, 2, 50], from: .worker)
        XCTAssertEqual(t.state(of: 1), .pending)
        XCTAssertEqual(t.state(of: 0), .inFlight(.worker))
        XCTAssertEqual(t.nextBatch(for: .master, max: 5), [1, 2])
    }

    func testDeadlineAnswersOldRequestsUnavailableOnceAndLateAnswersAreDuplicates() {
        var t = RequestTracker()
        submit(&t, 3, now: 0)
        submit(&t, 2, now: 500)
        _ = t.nextBatch(for: .master, max: 2)          // 0, 1 in flight; 2, 3, 4 pending
        XCTAssertEqual(t.expire(deadlineNanos: 1000, now: 999), [])
        XCTAssertEqual(t.expire(deadlineNanos: 1000, now: 1000), [0, 1, 2])
        XCTAssertEqual(t.expired, 3)
        XCTAssertEqual(t.unavailable, 3)
        XCTAssertEqual(t.inFlight(on: .master), 0)
        XCTAssertEqual(t.onAnswer(0, label: 7, from: .master, now: 1001), .duplicate, "answered once, by the deadline")
        XCTAssertEqual(t.nextBatch(for: .worker, max: 9), [3, 4])
        XCTAssertEqual(t.expire(deadlineNanos: 1000, now: 1500), [3, 4])
        XCTAssertEqual(t.outstanding, 0)
        XCTAssertEqual(t.sent, t.answered)
    }

    /// The ring grows past its first capacity with answers out of order and keeps every id.
    func testRingGrowsAndKeepsOrderWithHoles() {
        var t = RequestTracker()
        var live: Set<UInt64> = []
        for round in 0..<5 {
            submit(&t, 1000, now: UInt64(round))
            let ids = t.nextBatch(for: round % 2 == 0 ? .master : .worker, max: 1500)
            live.formUnion(ids)
            // Answer every third, leave the rest in flight.
            for id in ids where id % 3 == 0 {
                XCTAssertEqual(t.onAnswer(id, label: 1, from: round % 2 == 0 ? .master : .worker, now: 9), .accepted(latencyNanos: 9 - UInt64(round)))
                live.remove(id)
            }
        }
        XCTAssertEqual(t.outstanding, live.count)
        for id in live { XCTAssertNotNil(t.state(of: id)) }
        t.onDeviceDown(.master)
        t.onDeviceDown(.worker)
        XCTAssertEqual(t.pendingCount, live.count)
        XCTAssertEqual(Set(t.nextBatch(for: .master, max: 10_000)), live)
    }
}
