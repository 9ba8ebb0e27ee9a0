import FluidCluster
import XCTest

/// SourceInstance with a fake clock.
final class SourceInstanceTests: XCTestCase {
    let ms: UInt64 = 1_000_000

    func plan(_ p: Plan, _ leader: Role, _ e: UInt64, _ mode: Mode = .ha) -> PlanAnnouncement {
        PlanAnnouncement(epoch: e, plan: p, leader: leader, mode: mode, reason: "test")
    }

    func sends(_ ds: [SourceInstance.Directive]) -> [(Role, [UInt64], Bool)] {
        ds.compactMap { if case .send(let r, let ids, let s) = $0 { return (r, ids, s) }; return nil }
    }

    /// Master ↔ Worker cut, the source reaches both: each device leads itself.
    func splitBrain(_ kind: ModelKind) -> SourceInstance {
        var settings = SourceInstance.Settings()
        settings.batchSize = 4
        settings.windowBatches = 1
        var s = SourceInstance(kind: kind, settings: settings)
        _ = s.connected(.master, now: 0)
        _ = s.connected(.worker, now: 0)
        _ = s.plan(plan(Planner.plan(kind: kind, alive: [.master], mode: .ha), .master, 7), from: .master, now: 1)
        _ = s.plan(plan(Planner.plan(kind: kind, alive: [.worker], mode: .ha), .worker, 8), from: .worker, now: 1)
        return s
    }

    /// Both devices reachable and serving `ht-50+u50`, with these shares of the speed.
    func htPair(_ settings: SourceInstance.Settings = .init(), shares: [Role: Double]) -> SourceInstance {
        var s = SourceInstance(kind: .fluid, settings: settings)
        _ = s.connected(.master, now: 0)
        _ = s.connected(.worker, now: 0)
        _ = s.plan(plan(.ht, .master, 5), from: .master, now: 1)
        _ = s.plan(plan(.ht, .master, 5), from: .worker, now: 1)
        s.speedShare = shares
        return s
    }

    func testSplitBrainServesPerKind() {
        var f = splitBrain(.fluid)
        XCTAssertEqual(f.servedPlan(), .ht, "fluid: both halves, the effect of ht-50+u50")
        XCTAssertEqual(f.routes(), [.master: .serve(.solo50), .worker: .serve(.soloU50)])
        for _ in 0..<8 { _ = f.submit(now: 2) }
        XCTAssertEqual(Set(sends(f.pump(now: 2)).map(\.0)), [.master, .worker])

        let d = splitBrain(.dynamic)
        XCTAssertEqual(d.servedPlan(), .solo50)
        XCTAssertEqual(d.routes(), [.master: .serve(.solo50)])

        var s = splitBrain(.static)
        XCTAssertEqual(s.servedPlan(), .none)
        _ = s.submit(now: 2)
        let out = s.pump(now: 2)
        XCTAssertEqual(out, [.answeredUnavailable([0], reason: .noPlan)])
    }

    /// Source ↔ Master cut while both run the joint plan: the Worker gets standalone requests.
    func testSourceMasterCutWithJointPlanGoesStandaloneToWorker() {
        for kind in ModelKind.allCases {
            var s = SourceInstance(kind: kind)
            _ = s.connected(.master, now: 0)
            _ = s.connected(.worker, now: 0)
            _ = s.plan(plan(.ha100, .master, 5), from: .master, now: 1)
            _ = s.plan(plan(.ha100, .master, 5), from: .worker, now: 1)
            XCTAssertEqual(s.routes(), [.master: .serve(.ha100)])
            _ = s.closed(.master, now: 10 * ms)
            XCTAssertEqual(s.routes(), [.worker: .standalone], "\(kind)")
            _ = s.submit(now: 10 * ms)
            let out = sends(s.pump(now: 10 * ms))
            XCTAssertEqual(out.count, 1)
            XCTAssertEqual(out.first?.0, .worker)
            XCTAssertEqual(out.first?.2, true)
            XCTAssertEqual(s.servedPlan(), kind == .fluid ? .soloU50 : .none)
        }
    }

    func testDeadlineAnswersUnavailable() {
        var s = SourceInstance(kind: .fluid)
        _ = s.connected(.master, now: 0)
        _ = s.plan(plan(.solo50, .master, 3), from: .master, now: 0)
        let id = s.submit(now: 0)
        XCTAssertEqual(sends(s.pump(now: 0)).map(\.0), [.master])
        var t: UInt64 = 0
        while t < 1_000 * ms {
            s.heard(.master, now: t)
            XCTAssertFalse(s.tick(now: t).contains(.answeredUnavailable([id], reason: .deadline)), "at \(t / ms) ms")
            t += 10 * ms
        }
        XCTAssertTrue(s.isReachable(.master))
        XCTAssertTrue(s.tick(now: 1_000 * ms).contains(.answeredUnavailable([id], reason: .deadline)))
        // The late answer is a duplicate.
        XCTAssertTrue(s.answers(ids: [id], labels: [3], from: .master, now: 1_001 * ms).isEmpty)
        XCTAssertEqual(s.ledger.outstanding, 0)
    }

    func testAnswersOnlyFromTheDeviceTheRequestWentTo() {
        var s = splitBrain(.fluid)
        let a = s.submit(now: 2)
        let sent = sends(s.pump(now: 2))
        XCTAssertEqual(sent.count, 1)
        let (to, ids, _) = sent[0]
        XCTAssertEqual(ids, [a])
        XCTAssertTrue(s.answers(ids: [a], labels: [1], from: to.peer, now: 3).isEmpty, "not sent there")
        XCTAssertEqual(s.answers(ids: [a], labels: [1], from: to, now: 4).map(\.id), [a])
        XCTAssertTrue(s.answers(ids: [a], labels: [1], from: to, now: 5).isEmpty, "answered once")
        XCTAssertTrue(s.answers(ids: [99], labels: [1], from: to, now: 5).isEmpty, "never submitted")
    }

    /// The source tells a node its wanted plan again while the node relays a plan planned
    /// without it (a lost `setMode`), and stops once the plan says it was heard, even if
    /// the leader could not run it.
    func testWantedPlanIsToldAgainUntilHeard() {
        var s = SourceInstance(kind: .fluid)
        s.wantedMode = .ha
        s.wantedPlan = .ht50u25
        _ = s.connected(.master, now: 0)
        let first = s.plan(plan(.ha100, .master, 5), from: .master, now: 1)
        XCTAssertEqual(first.first, .sendMode(.master, ModeRequest(mode: .ha, plan: .ht50u25)))
        XCTAssertTrue(s.tick(now: 300 * ms).contains(.sendMode(.master, ModeRequest(mode: .ha, plan: .ht50u25))))
        // Heard, though not runnable (say the Worker was down): no more telling.
        var heard = plan(.solo50, .master, 6); heard.wanted = .ht50u25
        XCTAssertFalse(s.plan(heard, from: .master, now: 301 * ms).contains { if case .sendMode = $0 { return true }; return false })
        XCTAssertFalse(s.tick(now: 700 * ms).contains { if case .sendMode = $0 { return true }; return false })
    }

    /// In an independent plan a 4× slower device holds 4× fewer images in flight, and the
    /// faster device is offered work first; joint and solo plans keep the whole window.
    func testCreditsFollowMeasuredSpeedInIndependentPlans() {
        var settings = SourceInstance.Settings()
        settings.batchSize = 8
        settings.windowBatches = 8
        var s = htPair(settings, shares: [.master: 0.2, .worker: 0.8])
        for _ in 0..<200 { _ = s.submit(now: 2) }
        let out = sends(s.pump(now: 2))
        XCTAssertEqual(out.first?.0, .worker, "the faster device first")
        let perDevice = Dictionary(grouping: out, by: \.0).mapValues { $0.reduce(0) { $0 + $1.1.count } }
        XCTAssertEqual(perDevice[.worker], 64)
        XCTAssertEqual(perDevice[.master], 26, "0.2 × 2 × 64 images")
        // Below saturation the fast device takes everything its window holds.
        var t = htPair(settings, shares: [.master: 0.2, .worker: 0.8])
        for _ in 0..<10 { _ = t.submit(now: 2) }
        XCTAssertEqual(Set(sends(t.pump(now: 2)).map(\.0)), [.worker])
    }

    /// Below saturation the first device takes the work; two halves of about the same
    /// speed keep the Master first (calibration noise must not hand the work to the
    /// Worker), a Master at most half as fast gives the Worker the lead.
    func testTheWorkerLeadsOnlyWhenTheMasterIsAtMostHalfAsFast() {
        for (worker, first) in [(0.55, Role.master), (0.6, .master), (0.7, .worker)] {
            var s = htPair(shares: [.master: 1 - worker, .worker: worker])
            for _ in 0..<10 { _ = s.submit(now: 2) }
            XCTAssertEqual(sends(s.pump(now: 2)).first?.0, first, "Worker share \(worker)")
        }
    }

    /// The Master left a joint plan for `solo-50` and the Worker still relays the joint
    /// plan: under Dynamic the Worker can run nothing alone, so it gets no standalone
    /// requests while the Master serves (they would all be answered unavailable); under
    /// Fluid it runs `u50` alone and keeps its standalone share.
    func testNoStandaloneRouteToADeviceThatCanRunNothingAloneWhileAnotherServes() {
        for (kind, worker) in [(ModelKind.dynamic, nil as SourceInstance.Route?), (.fluid, .standalone)] {
            var s = SourceInstance(kind: kind)
            _ = s.connected(.master, now: 0)
            _ = s.connected(.worker, now: 0)
            _ = s.plan(plan(.ha75, .master, 5), from: .worker, now: 1)
            _ = s.plan(plan(.solo50, .master, 7, .ht), from: .master, now: 2)
            XCTAssertEqual(s.routes()[.master], .serve(.solo50), "\(kind)")
            XCTAssertEqual(s.routes()[.worker], worker, "\(kind)")
        }
    }

    /// Overload (the source generates faster than the one device answers): the credit
    /// follows the device's own send → answer time, not how long requests waited at the
    /// source, so it does not collapse; requests that could no longer be answered in time
    /// are answered *unavailable* before they are sent, so what is sent is answered in time.
    /// Before, every answer counted the source's queue as the device's slowness, the credit
    /// halved to 1 and a fixed-HA cluster fell to a fraction of its capacity.
    func testOverloadKeepsTheCreditAndShedsWhatCannotMakeTheDeadline() {
        var settings = SourceInstance.Settings()
        settings.batchSize = 8
        settings.windowBatches = 4   // credit 32
        settings.deadline = .milliseconds(1000)
        var s = SourceInstance(kind: .fluid, settings: settings)
        _ = s.connected(.master, now: 0)
        _ = s.plan(plan(.solo50, .master, 3), from: .master, now: 0)
        let service = 20 * ms        // the device answers a frame 20 ms after it was sent
        var inFlight: [(at: UInt64, ids: [UInt64])] = []
        var lateAnswers = 0, predictions = 0, shed = 0
        var now: UInt64 = 0
        while now < 5_000 * ms {
            for _ in 0..<8 { _ = s.submit(now: now) }  // 8 per ms: 8000 img/s offered
            s.heard(.master, now: now)                 // its heartbeats
            while let f = inFlight.first, f.at <= now {
                inFlight.removeFirst()
                for (_, _, latency) in s.answers(ids: f.ids, labels: f.ids.map { _ in 1 }, from: .master, now: now) {
                    predictions += 1
                    if latency > settings.deadline.nanoseconds { lateAnswers += 1 }
                }
            }
            for d in s.pump(now: now) {
                switch d {
                case .send(_, let ids, _): inFlight.append((now + service, ids))
                case .answeredUnavailable(let ids, reason: .deadline): shed += ids.count
                default: break
                }
            }
            _ = s.tick(now: now)
            now += ms
        }
        // 32 in flight per 20 ms = 1600 img/s of capacity: about 8000 predictions in 5 s.
        XCTAssertGreaterThan(predictions, 7_000, "the credit collapsed under overload")
        XCTAssertEqual(s.credit[.master] ?? s.maxCredit, s.maxCredit, "the device answered in time; its credit must stay whole")
        XCTAssertEqual(lateAnswers, 0, "a request was sent that could not be answered within the deadline")
        XCTAssertGreaterThan(shed, 0, "the overload was not shed")
        XCTAssertEqual(s.ledger.shed, shed)
    }

    /// A paced load (one request every 100 µs) on a device that answers a frame 5 ms after
    /// it was sent: at most one partial frame is in flight (Nagle's rule), the rest wait to
    /// fill a frame. Before, it sent a frame per arrival; each frame costs the devices a
    /// fixed amount (in a joint plan two activation exchanges), and `ha-100` fell behind
    /// 8 k img/s that it serves at 25 k saturated.
    func testAPacedLoadFillsFramesOnceAFramesWorthIsInFlight() {
        var settings = SourceInstance.Settings()
        settings.batchSize = 32
        settings.windowBatches = 8
        var s = SourceInstance(kind: .fluid, settings: settings)
        _ = s.connected(.master, now: 0)
        _ = s.plan(plan(.ha100, .master, 3), from: .master, now: 0)
        let us: UInt64 = 1_000, service = 5 * ms
        var inFlight: [(at: UInt64, ids: [UInt64])] = []
        var frames: [Int] = [], predictions = 0, worstWait: UInt64 = 0
        var now: UInt64 = 0
        while now < 1_000 * ms {
            _ = s.submit(now: now)
            s.heard(.master, now: now)
            while let f = inFlight.first, f.at <= now {
                inFlight.removeFirst()
                for (_, _, latency) in s.answers(ids: f.ids, labels: f.ids.map { _ in 1 }, from: .master, now: now) {
                    predictions += 1; worstWait = max(worstWait, latency)
                }
            }
            for case .send(_, let ids, _) in s.pump(now: now) { inFlight.append((now + service, ids)); frames.append(ids.count) }
            _ = s.tick(now: now)
            now += 100 * us
        }
        XCTAssertGreaterThan(predictions, 9_800, "a paced 10 k img/s under the device's capacity must be served")
        // At most one partial frame in flight: one per answer time (200 in 1 s), the rest full.
        let partial = frames.filter { $0 < 32 }.count
        XCTAssertLessThanOrEqual(partial, 201, "\(partial) partial frames of \(frames.count): one frame per arrival")
        XCTAssertLessThanOrEqual(frames.count, 10_000 / 32 + 201)
        XCTAssertLessThan(worstWait, 20 * ms, "a partial frame must not wait for long")
    }
}
