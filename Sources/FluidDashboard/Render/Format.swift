import Foundation

/// Number and time formatting shared by the panels; `–` stands for "unknown".
public enum Format {
    /// A slowdown factor: "4", "2.5".
    static func factor(_ k: Double) -> String {
        let r = (k * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    public static let unknown = "–"

    /// `mm:ss` (or `h:mm:ss` past an hour).
    public static func clock(_ seconds: Double) -> String {
        // Clamped: a corrupt time must not trap the conversion to Int.
        let s = Int(min(max(0, seconds.isFinite ? seconds : 0), 1e9))
        let h = s / 3600, m = (s / 60) % 60, sec = s % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, sec) : String(format: "%02d:%02d", m, sec)
    }

    /// `mm:ss.s` for event times.
    public static func eventTime(_ seconds: Double) -> String {
        let t = min(max(0, seconds.isFinite ? seconds : 0), 1e9)
        let m = Int(t) / 60
        return String(format: "%02d:%04.1f", m, t - Double(m * 60))
    }

    /// The one formatter for counts and rates: at most 5 columns, k/M/G suffixes
    /// (`987`, `9999`, `12.3k`, `123k`, `1.23M`), so a column of numbers never changes width
    /// by more than its padding and nothing is cut mid-number.
    public static func si(_ v: Double?) -> String {
        guard let v, v.isFinite else { return unknown }
        let a = abs(v), sign = v < 0 ? "-" : ""
        if a < 10, a != a.rounded() { return sign + String(format: "%.1f", a) }
        if a < 9999.5 { return sign + String(format: "%.0f", a) }
        for (scale, suffix) in [(1e3, "k"), (1e6, "M"), (1e9, "G"), (1e12, "T")] {
            let x = a / scale
            if x < 9.995 { return sign + String(format: "%.2f%@", x, suffix) }
            if x < 99.95 { return sign + String(format: "%.1f%@", x, suffix) }
            if x < 999.5 { return sign + String(format: "%.0f%@", x, suffix) }
        }
        return sign + ">999T"  // absurd (a corrupt log): still five columns
    }

    public static func si(_ v: Int?) -> String { si(v.map(Double.init)) }

    /// `si` right-aligned in `width` columns.
    public static func si(_ v: Double?, width: Int) -> String { si(v).leftPadded(width) }

    public static func rate(_ v: Double?) -> String { si(v) }

    /// A percentage to the precision `count` observations support: 2 decimals from
    /// 20 000, 1 from 2 000, whole percents below (0: the count is unknown, 1 decimal).
    public static func percent(_ v: Double?, count: Int = 0) -> String {
        guard let v, v.isFinite else { return unknown }
        let decimals = count >= 20_000 ? 2 : count >= 2_000 || count == 0 ? 1 : 0
        return String(format: "%.\(decimals)f%%", v * 100)
    }

    public static func ms(_ v: Double?) -> String {
        guard let v, v.isFinite else { return unknown }
        if v >= 10_000 { return "\(si(v / 1000)) s" }
        return v >= 100 ? String(format: "%.0f ms", v) : String(format: "%.1f ms", v)
    }

    public static func bytes(_ v: UInt64?) -> String {
        guard let v else { return unknown }
        let d = Double(v)
        if d < 1024 { return "\(v) B" }
        if d < 1024 * 1024 { return String(format: "%.1f KiB", d / 1024) }
        if d < 1024 * 1024 * 1024 { return String(format: "%.1f MiB", d / 1024 / 1024) }
        if d < 1024 * 1024 * 1024 * 1024 { return String(format: "%.2f GiB", d / 1024 / 1024 / 1024) }
        return "\(si(d / 1024 / 1024 / 1024 / 1024)) TiB"
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
