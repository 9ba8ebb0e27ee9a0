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
        /// Make the device `factor`× slower from outside the process (issue 14: a gray
        /// failure; the controller runs a SIGSTOP/SIGCONT duty cycle on it).
        case slow
        /// End a slowdown.
        case unslow

        public var isLinkFault: Bool { self == .cut || self == .heal }
    }

    /// Largest slowdown `slow:` accepts: beyond it the duty cycle's stops would approach
    /// the 200 ms dead timeout (the device would look hung, not slow).
    public static let maxSlowFactor = 20.0

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
    /// Set for `slow`: how many times slower (> 1).
    public var factor: Double?
    public init(_ action: Action, _ device: Role) { self.action = action; self.device = device }
    public init(_ action: Action, link: Link) { self.action = action; self.device = link.device; self.link = link }
    /// `slow:DEVICE=K`.
    public init(slow device: Role, factor: Double) { action = .slow; self.device = device; self.factor = factor }
    public var description: String {
        "\(action.rawValue):\(link?.rawValue ?? device.rawValue)\(factor.map { "=\(Fault.format($0))" } ?? "")"
    }

    static func format(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
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
        "fault '\(item)': \(problem) (expected ACTION:DEVICE@SECONDS with ACTION kill|hang|resume|revive|unslow and DEVICE master|worker, "
            + "slow:DEVICE=K@SECONDS with K from 1 to \(Fault.format(Fault.maxSlowFactor)), "
            + "or cut|heal:LINK@SECONDS with LINK master-worker|source-master|source-worker; e.g. kill:master@5, slow:worker=4@3, cut:master-worker@3)"
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
            } else if action == .slow {
                let parts = head[1].split(separator: "=", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw FaultSpecError(item: item, problem: "slow needs a factor: slow:DEVICE=K") }
                guard let device = Role(rawValue: parts[0].lowercased()) else {
                    throw FaultSpecError(item: item, problem: "unknown device '\(parts[0])'")
                }
                guard let k = Double(parts[1]), k.isFinite, k > 1, k <= Fault.maxSlowFactor else {
                    throw FaultSpecError(item: item, problem: "slowdown '\(parts[1])' is not a factor above 1 and at most \(Fault.format(Fault.maxSlowFactor))")
                }
                out.append(ScheduledFault(Fault(slow: device, factor: k), at: t))
            } else {
                guard let device = Role(rawValue: head[1].lowercased()) else {
                    throw FaultSpecError(item: item, problem: head[1].contains("=") ? "only slow takes a factor (=K)" : "unknown device '\(head[1])'")
                }
                out.append(ScheduledFault(Fault(action, device), at: t))
            }
        }
        return out.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }
}
