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
    }

    public var action: Action
    public var device: Role
    public init(_ action: Action, _ device: Role) { self.action = action; self.device = device }
    public var description: String { "\(action.rawValue):\(device.rawValue)" }
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
        "fault '\(item)': \(problem) (expected ACTION:DEVICE@SECONDS, ACTION kill|hang|resume|revive, DEVICE master|worker, e.g. kill:master@5)"
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
            guard let device = Role(rawValue: head[1].lowercased()) else {
                throw FaultSpecError(item: item, problem: "unknown device '\(head[1])'")
            }
            guard let t = Double(at[1]), t.isFinite, t >= 0 else {
                throw FaultSpecError(item: item, problem: "time '\(at[1])' is not a number of seconds ≥ 0")
            }
            out.append(ScheduledFault(Fault(action, device), at: t))
        }
        return out.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }
}
