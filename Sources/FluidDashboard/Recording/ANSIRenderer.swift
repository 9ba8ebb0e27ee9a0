/// Turns Screen changes into ANSI/VT100 output, for the asciicast recording (the
/// live terminal goes through curses instead). Only changed runs of cells are
/// emitted, so a steady dashboard costs a few hundred bytes per frame.
public struct ANSIRenderer: Sendable {
    public var colour: Bool

    public init(colour: Bool = true) { self.colour = colour }

    /// SGR parameters for a role; monochrome uses attributes only (bold, dim,
    /// reverse, underline), as the curses backend does under `NO_COLOR`.
    public func sgr(_ role: StyleRole) -> String {
        if colour {
            switch role {
            case .normal: return "0"
            case .dim: return "0;2"
            case .accent: return "0;36"
            case .healthy: return "0;32"
            case .degraded: return "0;1;33"
            case .failed: return "0;1;31"
            case .title: return "0;1;37;44"
            case .key: return "0;1;36"
            case .border: return "0;34"
            case .selected: return "0;7"
            case .bannerOK: return "0;1;30;42"
            case .bannerDegraded: return "0;1;30;43"
            case .bannerOutage: return "0;1;37;41"
            case .series2: return "0;35"
            }
        }
        switch role {
        case .normal, .accent, .healthy, .series2: return "0"
        case .dim, .border: return "0;2"
        case .degraded, .key: return "0;1"
        case .failed: return "0;1;4"
        case .title, .selected, .bannerOK: return "0;7"
        case .bannerDegraded: return "0;1;7"
        case .bannerOutage: return "0;1;4;7"
        }
    }

    /// The bytes that turn `previous` into `next` on a terminal; a full redraw when
    /// there is no previous screen or its size differs.
    public func diff(from previous: Screen?, to next: Screen) -> String {
        var out = ""
        let full = previous == nil || previous!.rows != next.rows || previous!.columns != next.columns
        if full { out += "\u{1b}[0m\u{1b}[H\u{1b}[2J" }
        var current: StyleRole? = nil
        for r in 0..<next.rows {
            var c = 0
            while c < next.columns {
                if !full, let p = previous, p[r, c] == next[r, c] { c += 1; continue }
                // A run of changed cells: one cursor move, then the cells.
                out += "\u{1b}[\(r + 1);\(c + 1)H"
                while c < next.columns {
                    let cell = next[r, c]
                    if !full, let p = previous, p[r, c] == cell { break }
                    if cell.role != current {
                        out += "\u{1b}[\(sgr(cell.role))m"
                        current = cell.role
                    }
                    out.append(cell.character)
                    c += 1
                }
            }
        }
        if !out.isEmpty { out += "\u{1b}[0m" }
        return out
    }
}
