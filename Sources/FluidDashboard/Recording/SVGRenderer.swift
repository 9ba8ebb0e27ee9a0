/// A Screen as an SVG picture (the README's screenshot, `fluid replay --svg`): one
/// `<text>` per run of cells with the same role on a row, a background rectangle where
/// a role has one, monospace cells of a fixed size. Colours follow the ANSI palette of
/// the asciicast recording on a dark terminal.
public struct SVGRenderer: Sendable {
    public var cellWidth: Double = 8.4
    public var cellHeight: Double = 17
    public var fontSize: Double = 14

    public init() {}

    static let background = "#1e1e2e"

    /// (foreground, background, bold) per role.
    static func style(_ role: StyleRole) -> (fg: String, bg: String?, bold: Bool) {
        switch role {
        case .normal: return ("#d0d0d0", nil, false)
        case .dim: return ("#7f7f8f", nil, false)
        case .accent: return ("#56b6c2", nil, false)
        case .healthy: return ("#98c379", nil, false)
        case .degraded: return ("#e5c07b", nil, true)
        case .failed: return ("#e06c75", nil, true)
        case .title: return ("#ffffff", "#3465a4", true)
        case .key: return ("#56b6c2", nil, true)
        case .border: return ("#5c7cbf", nil, false)
        case .selected: return (background, "#d0d0d0", false)
        case .bannerOK: return ("#101010", "#98c379", true)
        case .bannerDegraded: return ("#101010", "#e5c07b", true)
        case .bannerOutage: return ("#ffffff", "#c0392b", true)
        case .series2: return ("#c678dd", nil, false)
        }
    }

    public func svg(_ screen: Screen) -> String {
        let w = Double(screen.columns) * cellWidth, h = Double(screen.rows) * cellHeight
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(fmt(w))" height="\(fmt(h))" viewBox="0 0 \(fmt(w)) \(fmt(h))">
        <rect width="100%" height="100%" fill="\(Self.background)"/>
        <g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="\(fmt(fontSize))" xml:space="preserve">

        """
        for r in 0..<screen.rows {
            var c = 0
            while c < screen.columns {
                let role = screen[r, c].role
                var end = c
                var text = ""
                while end < screen.columns, screen[r, end].role == role {
                    text.append(screen[r, end].character)
                    end += 1
                }
                let st = Self.style(role)
                let x = Double(c) * cellWidth, y = Double(r) * cellHeight
                if let bg = st.bg {
                    out += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(Double(end - c) * cellWidth))\" height=\"\(fmt(cellHeight))\" fill=\"\(bg)\"/>\n"
                }
                if text.contains(where: { $0 != " " }) {
                    // textLength pins each run to its cells, whatever the viewer's font.
                    out += "<text x=\"\(fmt(x))\" y=\"\(fmt(y + cellHeight * 0.78))\" fill=\"\(st.fg)\"\(st.bold ? " font-weight=\"bold\"" : "") textLength=\"\(fmt(Double(end - c) * cellWidth))\" lengthAdjust=\"spacingAndGlyphs\">\(escape(text))</text>\n"
                }
                c = end
            }
        }
        out += "</g>\n</svg>\n"
        return out
    }

    private func fmt(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String((v * 10).rounded() / 10)
    }

    private func escape(_ s: String) -> String {
        var o = ""
        for ch in s {
            switch ch {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default: o.append(ch)
            }
        }
        return o
    }
}
