import FluidCluster
import XCTest

/// NodeInstance with a fake clock: two instances wired by hand.
final class NodeInstanceTests: XCTestCase {
    let ms: UInt64 = 1_000_000

    func make(_ r: Role, _ k: ModelKind = .fluid) -> NodeInstance {
        NodeInstance(role: r, kind: k, needs: { $0.isJoint ? [true, true] : [false, false] })
    }

    func hello(_ n: NodeInstance) -> Hello {
        Hello(role: PeerRole(n.role), kind: n.kind, weightsSHA256: "", nodeID: n.role.rawValue, incarnation: 1,
              planEpoch: n.epoch, mode: n.mode)
    }

    static func installs(_ ds: [NodeInstance.Directive]) -> [PlanAnnouncement] {
        ds.compactMap { if case .install(let a) = $0 { return a }; return nil }
    }

    /// Starts both, connects them, deploys the Master's plan; returns them at `t`.
    func joined(at t: UInt64, kind: ModelKind = .fluid) -> (NodeInstance, NodeInstance, [PlanAnnouncement]) {
        var m = make(.master, kind), w = make(.worker, kind)
        var plans = Self.installs(m.start(now: 0)) + Self.installs(w.start(now: 0))
        let mh = hello(m), wh = hello(w)
        _ = w.peerConnected(mh, now: t)
        let ds = m.peerConnected(wh, now: t)
        plans += Self.installs(ds)
        for case .sendPlan(let a) in ds { plans += Self.installs(w.receivedPlan(a, now: t)) }
        return (m, w, plans)
    }

    func testFollowerIgnoresOlderEpochs() {
        var w = make(.worker)
        _ = w.start(now: 0)
        let newer = PlanAnnouncement(epoch: 9, plan: .ha100, leader: .master, mode: .ha, reason: "t")
        XCTAssertEqual(Self.installs(w.receivedPlan(newer, now: 1)).map(\.epoch), [9])
        let older = PlanAnnouncement(epoch: 7, plan: .solo50, leader: .master, mode: .ha, reason: "t")
        XCTAssertEqual(Self.installs(w.receivedPlan(older, now: 2)), [])
        XCTAssertEqual(w.current?.epoch, 9)
        let same = PlanAnnouncement(epoch: 9, plan: .solo50, leader: .master, mode: .ha, reason: "t")
        XCTAssertEqual(Self.installs(w.receivedPlan(same, now: 3)), [])
    }

    /// The issue's `hang:master@9,resume:master@11`: the Worker takes the lead; the resumed
    /// Master does not blame the Worker for its own pause, and no two plans share an epoch.
    func testResumedNodeDoesNotBlamePeerAndIssuesNoTiedEpoch() {
        var (m, w, plans) = joined(at: 10 * ms)
        XCTAssertEqual(m.current?.plan, .ha100)
        XCTAssertEqual(w.current?.epoch, m.current?.epoch)
        // Heartbeats both ways until the Master is paused at 500 ms.
        var t = 20 * ms
        while t <= 500 * ms {
            _ = m.tick(now: t); _ = w.tick(now: t)
            m.peerHeard(now: t); w.peerHeard(now: t)
            t += 10 * ms
        }
        // The Worker alone: it declares the silent Master dead and leads.
        var workerOwn: [PlanAnnouncement] = []
        while t <= 2_500 * ms {
            let ds = w.tick(now: t)
            workerOwn += Self.installs(ds)
            t += 10 * ms
        }
        XCTAssertEqual(workerOwn.map(\.plan), [.soloU50])
        XCTAssertEqual(workerOwn.first?.leader, .worker)
        plans += workerOwn
        // The Master resumes at 2.5 s: its first tick is 2 s late.
        let resumed = m.tick(now: 2_500 * ms)
        XCTAssertFalse(resumed.contains { if case .closePeer = $0 { return true }; return false }, "\(resumed)")
        XCTAssertEqual(Self.installs(resumed), [])
        // The Worker had closed the link: the close arrives within the Master's pause grace.
        let closed = m.peerClosed(cause: "connection closed", now: 2_501 * ms)
        XCTAssertEqual(Self.installs(closed), [], "no smaller plan before the peer had a chance to come back")
        // The Master re-dials at once; the Worker's hello carries its epoch.
        _ = w.peerConnected(hello(m), now: 2_560 * ms)
        let back = m.peerConnected(hello(w), now: 2_560 * ms)
        let issued = Self.installs(back)
        XCTAssertEqual(issued.map(\.plan), [.ha100])
        XCTAssertGreaterThan(issued[0].epoch, workerOwn[0].epoch)
        plans += issued
        for case .sendPlan(let a) in back { XCTAssertEqual(Self.installs(w.receivedPlan(a, now: 2_561 * ms)), [a]) }
        var byEpoch: [UInt64: PlanAnnouncement] = [:]
        for a in plans {
            if let b = byEpoch[a.epoch] { XCTAssertTrue(a.plan == b.plan && a.leader == b.leader, "epoch \(a.epoch) tied: \(a) / \(b)") }
            byEpoch[a.epoch] = a
        }
        // Ticks go on: no late blame afterwards either.
        t = 2_570 * ms
        while t <= 3_000 * ms {
            let ds = m.tick(now: t)
            XCTAssertFalse(ds.contains { if case .closePeer = $0 { return true }; return false }, "at \(t / ms) ms: \(ds)")
            m.peerHeard(now: t)
            t += 10 * ms
        }
    }

    /// A peer link that closes during the pause grace and comes back within it: no plan
    /// without the peer is ever issued.
    func testPeerCloseDuringPauseGraceNoSmallerPlanIfPeerReturns() {
        var (m, _, _) = joined(at: 10 * ms, kind: .dynamic)
        _ = m.tick(now: 20 * ms)
        m.peerHeard(now: 20 * ms)
        // Paused from 20 ms to 1 s.
        _ = m.tick(now: 1_000 * ms)
        var ds = m.peerClosed(cause: "connection closed", now: 1_001 * ms)
        var t = 1_010 * ms
        while t < 1_150 * ms { ds += m.tick(now: t); t += 10 * ms }
        XCTAssertEqual(Self.installs(ds), [])
        var w2 = make(.worker, .dynamic)
        _ = w2.start(now: 1_100 * ms)
        let back = m.peerConnected(hello(w2), now: 1_150 * ms)
        XCTAssertEqual(Self.installs(back).map(\.plan), [.ha100])
        // Had it not come back, the grace ends and the Master plans alone.
        var (m2, _, _) = joined(at: 10 * ms, kind: .dynamic)
        _ = m2.tick(now: 20 * ms)
        _ = m2.tick(now: 1_000 * ms)
        var late = m2.peerClosed(cause: "connection closed", now: 1_001 * ms)
        t = 1_010 * ms
        while t <= 1_300 * ms { late += m2.tick(now: t); t += 10 * ms }
        XCTAssertEqual(Self.installs(late).map(\.plan), [.solo50])
    }

    /// A plan or its acknowledgement lost on a link that stays open (a short cut): the
    /// leader re-sends until acknowledged, and the follower acknowledges again.
    func testLostPlanOrAckIsResentUntilAcknowledged() {
        var m = make(.master, .static), w = make(.worker, .static)
        _ = m.start(now: 0); _ = w.start(now: 0)
        _ = w.peerConnected(hello(m), now: 1 * ms)
        let first = m.peerConnected(hello(w), now: 1 * ms)
        var sent = first.compactMap { if case .sendPlan(let a) = $0 { return a }; return nil }
        XCTAssertEqual(sent.map(\.plan), [.ha100])
        // That frame is lost. Within a heartbeat interval the leader sends it again.
        var resent: [PlanAnnouncement] = []
        var t = 10 * ms
        while t <= 60 * ms {
            m.peerHeard(now: t)
            resent += m.tick(now: t).compactMap { if case .sendPlan(let a) = $0 { return a }; return nil }
            t += 10 * ms
        }
        XCTAssertEqual(resent, [sent[0]])
        let deploy = w.receivedPlan(resent[0], now: 61 * ms)
        XCTAssertEqual(Self.installs(deploy), [resent[0]])
        // The acknowledgement is lost too: the re-sent plan is acknowledged again, not re-installed.
        sent = []
        t = 70 * ms
        while t <= 120 * ms {
            m.peerHeard(now: t)
            sent += m.tick(now: t).compactMap { if case .sendPlan(let a) = $0 { return a }; return nil }
            t += 10 * ms
        }
        XCTAssertEqual(sent.count, 1)
        let again = w.receivedPlan(sent[0], now: 121 * ms)
        XCTAssertEqual(Self.installs(again), [])
        XCTAssertEqual(again, [.sendAck(epoch: sent[0].epoch, needsPeerAfter: [true, true])])
        XCTAssertFalse(m.peerDeployedCurrent)
        XCTAssertTrue(m.receivedAck(epoch: sent[0].epoch, needsPeerAfter: [true, true], now: 122 * ms).contains(.peerDeployed))
        XCTAssertTrue(m.peerDeployedCurrent)
        // Acknowledged: no more re-sends; a duplicate ack changes nothing.
        XCTAssertEqual(m.receivedAck(epoch: sent[0].epoch, needsPeerAfter: [true, true], now: 123 * ms), [])
        t = 130 * ms
        while t <= 400 * ms {
            m.peerHeard(now: t)
            XCTAssertFalse(m.tick(now: t).contains { if case .sendPlan = $0 { return true }; return false })
            t += 10 * ms
        }
    }

    /// A source's wanted plan (issue 14): the leader deploys it with a new epoch and the
    /// follower adopts it; when a device it needs dies, the failure table decides; when the
    /// device is back, the wanted plan returns.
    func testWantedPlanIsDeployedAndYieldsToFailures() throws {
        var (m, w, _) = joined(at: 10 * ms)
        let e0 = m.epoch
        let ds = m.setMode(ModeRequest(mode: .ha, plan: .ht50u25), now: 20 * ms)
        let a = try XCTUnwrap(Self.installs(ds).first)
        XCTAssertEqual(a.plan, .ht50u25)
        XCTAssertEqual(a.wanted, .ht50u25)
        XCTAssertGreaterThan(a.epoch, e0)
        XCTAssertTrue(a.reason.contains("wanted ht-50+u25"), a.reason)
        for case .sendPlan(let p) in ds { XCTAssertEqual(Self.installs(w.receivedPlan(p, now: 21 * ms)).map(\.plan), [.ht50u25]) }
        XCTAssertEqual(w.wanted, .ht50u25)
        // The same wish again changes nothing.
        XCTAssertTrue(Self.installs(m.setMode(ModeRequest(mode: .ha, plan: .ht50u25), now: 22 * ms)).isEmpty)
        // The Worker dies: the table's solo-50, whatever was wanted.
        let down = m.peerClosed(cause: "test", now: 30 * ms)
        XCTAssertEqual(Self.installs(down).map(\.plan), [.solo50])
        // Alone, the Worker's wish could run only on the Master: the table, solo-u50.
        let alone = w.peerClosed(cause: "test", now: 30 * ms)
        XCTAssertEqual(Self.installs(alone).map(\.plan), [.soloU50])
        // A wish it can run alone is deployed by the lone Worker.
        XCTAssertEqual(Self.installs(w.setMode(ModeRequest(mode: .ha, plan: .soloU25), now: 31 * ms)).map(\.plan), [.soloU25])
        // Clearing the wish: the table again (re-announced with a new epoch).
        XCTAssertEqual(Self.installs(m.setMode(.ha, now: 40 * ms)).map(\.plan), [.solo50])
        XCTAssertNil(m.wanted)
    }
}
