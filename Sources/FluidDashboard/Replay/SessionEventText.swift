import Foundation

/// How a session-log event reads in the event log: the writer's vocabulary
/// (FluidCluster's `SessionEvent.json`: `fault`, `device-down`, `device-up`, `plan`,
/// `mode`, `kind`, `message`) turned into a line of text, a severity, and whether
/// it deserves an asciicast marker. Unknown events are shown with their name and
/// scalar fields rather than dropped.
public enum SessionEventText {
    public static func dashboardEvent(_ e: SessionLog.Event, sequence: Int) -> DashboardEvent {
        let f = e.fields
        let device = f["device"]?.string.map(deviceTitle)
        let cause = f["cause"]?.string
        var timing: [String] = []
        if let d = f["detect_ms"]?.double { timing.append("detected in \(ms(d))") }
        if let r = f["resume_ms"]?.double { timing.append("resumed in \(ms(r))") }
        if let r = f["redeploy_ms"]?.double { timing.append("redeployed in \(ms(r))") }
        if let r = f["since_fault_ms"]?.double { timing.append("\(ms(r)) after the fault") }
        let timingText = timing.isEmpty ? "" : " · " + timing.joined(separator: ", ")
        func event(_ text: String, _ severity: EventSeverity, marker: Bool) -> DashboardEvent {
            DashboardEvent(sequence: sequence, time: e.t, text: text, severity: severity, isMarker: marker)
        }

        switch e.event {
        case "fault":
            let action = f["action"]?.string ?? "fault"
            return event("\(action) \(f["link"]?.string.map { "link \($0)" } ?? device ?? "device")", .warning, marker: true)
        case "device-down", "device-hung":
            let hung = e.event == "device-hung" || cause == "hang"
            let by = f["detected_by"]?.string.map { ", by \($0)" } ?? ""
            let c = cause.map { " (\($0)\(by))" } ?? ""
            return event("\(device ?? "device") \(hung ? "hung" : "down")\(c)\(timingText)", .failure, marker: true)
        case "device-up", "device-recovered":
            return event("\(device ?? "device") up\(timingText)", .recovery, marker: true)
        case "plan":
            let plan = f["plan"]?.string ?? "?"
            let reason = f["reason"]?.string.map { ": \($0)" } ?? ""
            let severity: EventSeverity = plan == "none" ? .failure : plan.hasPrefix("solo") ? .warning : .recovery
            return event("plan \(plan)\(reason)\(timingText)", severity, marker: true)
        case "mode":
            let mode = f["mode"]?.string ?? "?"
            let running = f["running"]?.string.map { $0 == mode ? "" : " (running \($0))" } ?? ""
            let reason = f["reason"]?.string.map { ": \($0)" } ?? ""
            return event("mode \(mode)\(running)\(reason)", .info, marker: true)
        case "kind":
            return event("kind \(f["kind"]?.string ?? "?"): nodes restarted", .info, marker: true)
        case "message":
            return event(f["message"]?.string ?? "", .info, marker: false)
        default:
            return event("\(e.event) " + simpleFields(f), .info, marker: false)
        }
    }

    static func deviceTitle(_ raw: String) -> String {
        Role(rawValue: raw)?.title ?? raw
    }

    static func ms(_ v: Double) -> String { Format.ms(v) }

    /// `key=value` for the scalar fields, minus the envelope.
    static func simpleFields(_ f: [String: JSONValue]) -> String {
        f.keys.sorted().compactMap { k -> String? in
            guard !["type", "t", "event"].contains(k), let v = f[k] else { return nil }
            switch v {
            case .string(let s): return "\(k)=\(s)"
            case .int(let i): return "\(k)=\(i)"
            case .number(let d, _): return d == d.rounded() && abs(d) < 1e15 ? "\(k)=\(Int(d))" : "\(k)=\(d)"
            case .bool(let b): return "\(k)=\(b)"
            default: return nil
            }
        }.joined(separator: " ")
    }
}
