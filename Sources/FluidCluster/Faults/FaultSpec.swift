import Foundation
import FluidModel

/// A fault to inject into one device (docs/cli.md).
public struct Fault: Equatable, Sendable, CustomStringConvertible {
    public enum Action: String, CaseIterable, Sendable {
        /// SIGKILL: the process dies, its sockets close.
        case kill
        /// SIGSTOP: the process hangs with its sockets open.
        case hang
        /// SIGCONT: a hung process runs again.
        case resume
        /// Start the process again (after a kill; a hung one is killed first).
        case revive
        /// Partition a link: it drops every byte both ways without closing.
        case cut
        /// End a partition.
        case heal

        public var isLinkFault: Bool { self == .cut || self == .heal }
    }

    /// A network link between two of the three parties.
    public enum Link: String, CaseIterable, Sendable {
        case masterWorker = "master-worker"
        case sourceMaster = "source-master"
        case sourceWorker = "source-worker"

        /// The device whose state this link's fault concerns most (the node end of a source
        /// link; the Worker for the device link), for fault bookkeeping.
        public var device: Role { self == .sourceMaster ? .master : .worker }
    }

    public var action: Action
    public var device: Role
    /// Set for `cut` / `heal`.
    public var link: Link?
    public init(_ action: Action, _ device: Role) { self.action = action; self.device = device }
    public init(_ action: Action, link: Link) { self.action = action; self.device = link.device; self.link = link }
    public var description: String { "\(action.rawValue):\(link?.rawValue ?? device.rawValue)" }
}

/// A fault at a time (seconds since the run started).
public struct ScheduledFault: Equatable, Sendable {
    public var fault: Fault
    public var at: Double
    public init(_ fault: Fault, at: Double) { self.fault = fault; self.at = at }
}

public struct FaultSpecError: Error, Equatable, CustomStringConvertible {
    public var item: String
    public var problem: String
    public var description: String {
        "fault '\(item)': \(problem) (expected ACTION:DEVICE@SECONDS with ACTION kill|hang|resume|revive and DEVICE master|worker, "
            + "or cut|heal:LINK@SECONDS with LINK master-worker|source-master|source-worker; e.g. kill:master@5, cut:master-worker@3)"
    }
}

/// Parses `ACTION:DEVICE@SECONDS[,…]`, e.g. `kill:master@5,revive:master@10`. Sorted by time.
public enum FaultSpec {
    public static func parse(_ spec: String) throws -> [ScheduledFault] {
        var out: [ScheduledFault] = []
        for raw in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else {
                if spec.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                throw FaultSpecError(item: item, problem: "empty item")
            }
            let at = item.split(separator: "@", omittingEmptySubsequences: false)
            guard at.count == 2 else { throw FaultSpecError(item: item, problem: "needs exactly one '@SECONDS'") }
            let head = at[0].split(separator: ":", omittingEmptySubsequences: false)
            guard head.count == 2 else { throw FaultSpecError(item: item, problem: "needs ACTION:DEVICE before '@'") }
            guard let action = Fault.Action(rawValue: head[0].lowercased()) else {
                throw FaultSpecError(item: item, problem: "unknown action '\(head[0])'")
            }
            guard let t = Double(at[1]), t.isFinite, t >= 0, t <= 1e9 else {
                throw FaultSpecError(item: item, problem: "time '\(at[1])' is not a number of seconds from 0 to 1e9")
            }
            if action.isLinkFault {
                guard let link = Fault.Link(rawValue: head[1].lowercased()) else {
                    throw FaultSpecError(item: item, problem: "unknown link '\(head[1])' (master-worker, source-master or source-worker)")
                }
                out.append(ScheduledFault(Fault(action, link: link), at: t))
            } else {
                guard let device = Role(rawValue: head[1].lowercased()) else {
                    throw FaultSpecError(item: item, problem: "unknown device '\(head[1])'")
                }
                out.append(ScheduledFault(Fault(action, device), at: t))
            }
        }
        return out.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }
}
