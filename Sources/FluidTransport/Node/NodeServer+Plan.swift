import FluidCluster
import FluidModel
import Foundation
import NIOCore

/// Carries out the directives of the node's pure `NodeInstance` (membership, leadership,
/// epochs, plan deployment): see FluidCluster/Node/NodeInstance.swift for the rules.
extension NodeServer {
    var current: PlanAnnouncement? { instance.current }
    var peerNeeds: [Bool] { instance.peerNeeds }
    /// Leader of a joint plan: the peer acknowledged it (joint batches may start).
    var peerDeployed: Bool { instance.peerDeployedCurrent }
    var isLeader: Bool { instance.isLeader }

    func carryOut(_ directives: [NodeInstance.Directive]) {
        for d in directives {
            switch d {
            case .sendHeartbeat:
                peer?.send(.heartbeat(heartbeat(now)))
            case .closePeer(let reason):
                if let p = peer { peerLostByDetector(p, cause: reason) }
            case .install(let a):
                install(a)
            case .sendPlan(let a):
                peer?.send(.plan(a))
            case .sendAck(let e, let needs):
                peer?.send(.deployAck(epoch: e, needsPeerAfter: needs))
            case .announce(let a):
                for s in sources { s.send(.plan(a)) }
                resumeQueuedWork()
            case .peerDeployed:
                resumeQueuedWork()
            case .log(let line):
                logger.info("\(line)")
            }
        }
    }

    /// The detector declared the peer dead: close its link (the instance already re-planned).
    func peerLostByDetector(_ c: NodeConnection, cause: String) {
        guard c === peer else { return }
        peerBytesOut &+= c.counter.bytesOut
        peerBytesIn &+= c.counter.bytesIn
        peer = nil
        logger.warning("peer down: \(cause)", metadata: ["peer": "\(c.name)"])
        close(c)
        if c.id == dialConnectionID { dialAgainLater() }
    }

    /// Makes `a` the plan this node runs; joint work of an older plan is abandoned (the
    /// Master re-runs its batches under the new plan; the Worker forgets them).
    func install(_ a: PlanAnnouncement) {
        myNeeds = instance.myNeeds
        abandonJointWork()
        logger.info("running plan \(a.plan.rawValue)", metadata: ["epoch": "\(a.epoch)", "leader": "\(a.leader.rawValue)"])
    }

    /// SIGUSR1 cuts the Master ↔ Worker link, SIGUSR2 heals it (`fluid run --faults
    /// cut:master-worker@S`): a real partition from outside the process, like SIGSTOP.
    func installCutSignals() {
        for (sig, cut) in [(SIGUSR1, true), (SIGUSR2, false)] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            let me = NIOLoopBound(self, eventLoop: loop), loop = self.loop
            s.setEventHandler {
                loop.execute {
                    me.value.peerCut.isCut = cut
                    me.value.logger.warning(cut ? "peer link cut: dropping every byte both ways" : "peer link healed")
                }
            }
            s.resume()
            signalSources.append(s)
        }
    }
}
