import Foundation

/// Number and time formatting shared by the panels; `–` stands for "unknown".
enum Format {
    static let unknown = "–"

    /// `mm:ss` (or `h:mm:ss` past an hour).
    static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.isFinite ? seconds : 0))
        let h = s / 3600, m = (s / 60) % 60, sec = s % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, sec) : String(format: "%02d:%02d", m, sec)
    }

    /// `mm:ss.s` for event times.
    static func eventTime(_ seconds: Double) -> String {
        let t = max(0, seconds.isFinite ? seconds : 0)
        let m = Int(t) / 60
        return String(format: "%02d:%04.1f", m, t - Double(m * 60))
    }

    static func rate(_ v: Double?) -> String {
        guard let v, v.isFinite else { return unknown }
        return v >= 100 ? String(format: "%.0f", v) : String(format: "%.1f", v)
    }

    static func percent(_ v: Double?) -> String {
        guard let v, v.isFinite else { return unknown }
        return String(format: "%.2f%%", v * 100)
    }

    static func ms(_ v: Double?) -> String {
        guard let v, v.isFinite else { return unknown }
        return v >= 100 ? String(format: "%.0f ms", v) : String(format: "%.1f ms", v)
    }

    static func bytes(_ v: UInt64?) -> String {
        guard let v else { return unknown }
        let d = Double(v)
        if d < 1024 { return "\(v) B" }
        if d < 1024 * 1024 { return String(format: "%.1f KiB", d / 1024) }
        if d < 1024 * 1024 * 1024 { return String(format: "%.1f MiB", d / 1024 / 1024) }
        return String(format: "%.2f GiB", d / 1024 / 1024 / 1024)
    }
}

extension DeviceState {
    /// Glyph, word and role: state is never told by colour alone.
    public var glyph: Character {
        switch self {
        case .up: return "●"
        case .hung: return "◐"
        case .down: return "✖"
        }
    }

    public var word: String { rawValue.uppercased() }

    public var role: StyleRole {
        switch self {
        case .up: return .healthy
        case .hung: return .degraded
        case .down: return .failed
        }
    }
}

extension EventSeverity {
    public var glyph: Character {
        switch self {
        case .info: return "·"
        case .recovery: return "✔"
        case .warning: return "▲"
        case .failure: return "✖"
        }
    }

    public var role: StyleRole {
        switch self {
        case .info: return .normal
        case .recovery: return .healthy
        case .warning: return .degraded
        case .failure: return .failed
        }
    }
}
