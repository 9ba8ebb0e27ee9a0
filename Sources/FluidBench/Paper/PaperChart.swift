import FluidModel
import FluidTransport
import Foundation

/// results/paper.svg in the manner of the paper's Fig. 2: per link a panel of grouped bars
/// (scenario groups, one bar per kind) for throughput on the left axis, and a diamond per
/// bar for its accuracy on the right axis. A stopped kind gets a red ✕ at 0. Hand-written
/// SVG, no dependencies.
public enum PaperChart {
    static let colors: [ModelKind: String] = [.static: "#8c8c8c", .dynamic: "#4c78a8", .fluid: "#f58518"]
    static let panelW = 520.0, panelH = 400.0
    static let left = 64.0, right = 56.0, top = 56.0, bottom = 56.0

    public static func svg(_ report: PaperReport) -> String {
        let links = report.links.filter { l in report.rows.contains { $0.link == l.name } }
        let width = panelW * Double(max(1, links.count))
        let height = panelH + 52
        let kinds = ModelKind.allCases.filter { k in report.rows.contains { $0.kind == k.rawValue } }
        let accs = report.rows.compactMap(\.accuracy)
        // Accuracy axis: from a tick below the lowest measured value to 100 %.
        let raw = min(95, (accs.min() ?? 0.95) * 100 - 1)
        let accStep = 100 - raw <= 5 ? 1.0 : 100 - raw <= 10 ? 2 : 100 - raw <= 25 ? 5 : 10
        let accLo = max(0, (raw / accStep).rounded(.down) * accStep) / 100
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>

        """
        for (i, link) in links.enumerated() {
            s += panel(report, link: link, kinds: kinds, x0: Double(i) * panelW, accLo: accLo, accStep: accStep / 100)
        }
        // Legend along the bottom.
        var x = 20.0
        let y = panelH + 20
        for k in kinds {
            s += "<rect x=\"\(f(x))\" y=\"\(f(y - 10))\" width=\"12\" height=\"12\" fill=\"\(colors[k]!)\"/>"
            s += "<text x=\"\(f(x + 17))\" y=\"\(f(y))\">\(k.rawValue.capitalized) (img/s)</text>\n"
            x += 130
        }
        s += diamond(x: x + 6, y: y - 4, r: 5) + "<text x=\"\(f(x + 17))\" y=\"\(f(y))\">accuracy (right axis)</text>\n"
        x += 170
        var ys = y
        if x + 230 > width { x = 20; ys = y + 16 }
        s += "<text x=\"\(f(x))\" y=\"\(f(ys))\" fill=\"#c0392b\">✕ stops: 0 img/s, all unavailable</text>\n"
        s += "<text x=\"\(f(width - 10))\" y=\"\(f(y + 28))\" text-anchor=\"end\" font-size=\"10\" fill=\"#666\">\(esc(report.date)) · \(esc(report.machine.cpu)) · \(report.machine.cores) cores</text>\n"
        return s + "</svg>\n"
    }

    static func panel(_ report: PaperReport, link: BenchLink, kinds: [ModelKind], x0: Double, accLo: Double, accStep: Double) -> String {
        let plotW = panelW - left - right, plotH = panelH - top - bottom
        let px = x0 + left, py = top, base = top + plotH
        let rows = report.rows.filter { $0.link == link.name }
        let maxY = niceCeil((rows.map(\.imgPerS).max() ?? 1) * 1.12)
        let step = niceStep(maxY / 5)
        func yThr(_ v: Double) -> Double { base - plotH * min(1, v / maxY) }
        func yAcc(_ a: Double) -> Double { base - plotH * max(0, min(1, (a - accLo) / (1 - accLo))) }
        let shape = link.shape
        var s = "<g>\n"
        s += "<text x=\"\(f(x0 + panelW / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(esc(link.name))</text>\n"
        s += "<text x=\"\(f(x0 + panelW / 2))\" y=\"38\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">\(esc(shape.isUnshaped ? "Master ↔ Worker over loopback TCP" : "Master ↔ Worker: \(shape) (emulated)"))</text>\n"
        // Throughput grid and left axis.
        var v = 0.0
        while v <= maxY + step / 2 {
            let y = yThr(v)
            s += "<line x1=\"\(f(px))\" y1=\"\(f(y))\" x2=\"\(f(px + plotW))\" y2=\"\(f(y))\" stroke=\"#e5e5e5\"/>"
            s += "<text x=\"\(f(px - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\" font-size=\"10\">\(f(v))</text>\n"
            v += step
        }
        s += "<text transform=\"translate(\(f(x0 + 16)) \(f(py + plotH / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\">throughput (img/s)</text>\n"
        // Accuracy right axis.
        var a = accLo
        let aStep = accStep
        while a <= 1.0001 {
            let y = yAcc(a)
            s += "<line x1=\"\(f(px + plotW))\" y1=\"\(f(y))\" x2=\"\(f(px + plotW + 4))\" y2=\"\(f(y))\" stroke=\"#333\"/>"
            s += "<text x=\"\(f(px + plotW + 7))\" y=\"\(f(y + 4))\" font-size=\"10\">\(Int((a * 100).rounded())) %</text>\n"
            a += aStep
        }
        s += "<text transform=\"translate(\(f(x0 + panelW - 8)) \(f(py + plotH / 2))) rotate(90)\" text-anchor=\"middle\" font-size=\"11\">accuracy</text>\n"
        s += "<line x1=\"\(f(px))\" y1=\"\(f(base))\" x2=\"\(f(px + plotW))\" y2=\"\(f(base))\" stroke=\"#333\"/>"
        s += "<line x1=\"\(f(px))\" y1=\"\(f(py))\" x2=\"\(f(px))\" y2=\"\(f(base))\" stroke=\"#333\"/>"
        s += "<line x1=\"\(f(px + plotW))\" y1=\"\(f(py))\" x2=\"\(f(px + plotW))\" y2=\"\(f(base))\" stroke=\"#333\"/>\n"
        // Bars.
        let groups = PaperScenario.allCases
        let gw = plotW / Double(groups.count)
        let bw = min(30, gw * 0.8 / Double(max(1, kinds.count)))
        for (gi, sc) in groups.enumerated() {
            let gx = px + gw * Double(gi) + (gw - bw * Double(kinds.count)) / 2
            s += "<text x=\"\(f(px + gw * (Double(gi) + 0.5)))\" y=\"\(f(base + 18))\" text-anchor=\"middle\">\(esc(sc.title))</text>\n"
            for (ki, k) in kinds.enumerated() {
                guard let r = rows.first(where: { $0.kind == k.rawValue && $0.scenario == sc.rawValue }) else { continue }
                let x = gx + bw * Double(ki), cx = x + bw / 2
                if r.error != nil {
                    s += "<text x=\"\(f(cx))\" y=\"\(f(base - 4))\" text-anchor=\"middle\" fill=\"#c0392b\" font-size=\"10\">err</text>\n"
                    continue
                }
                if r.imgPerS > 0 {
                    let y = yThr(r.imgPerS)
                    s += "<rect x=\"\(f(x + 1))\" y=\"\(f(y))\" width=\"\(f(bw - 2))\" height=\"\(f(base - y))\" fill=\"\(colors[k]!)\">"
                    s += "<title>\(k.rawValue) \(sc.rawValue): \(PaperChecks.fmt(r.imgPerS)) img/s on \(r.plan)\(r.accuracy.map { ", accuracy \(PaperChecks.pct($0))" } ?? "")</title></rect>\n"
                    s += "<text transform=\"translate(\(f(cx + 3)) \(f(y - 4))) rotate(-90)\" font-size=\"9\">\(PaperChecks.fmt(r.imgPerS))</text>\n"
                } else {
                    s += "<text x=\"\(f(cx))\" y=\"\(f(base - 3))\" text-anchor=\"middle\" fill=\"#c0392b\" font-size=\"13\" font-weight=\"bold\">✕</text>\n"
                }
                if let acc = r.accuracy {
                    s += diamond(x: cx, y: yAcc(acc), r: 4)
                }
            }
        }
        return s + "</g>\n"
    }

    static func diamond(x: Double, y: Double, r: Double) -> String {
        "<polygon points=\"\(f(x)),\(f(y - r)) \(f(x + r)),\(f(y)) \(f(x)),\(f(y + r)) \(f(x - r)),\(f(y))\" fill=\"black\"/>\n"
    }

    /// 1, 2, 5 × 10^k at or above `x`.
    static func niceCeil(_ x: Double) -> Double {
        guard x > 0 else { return 1 }
        let p = pow(10, (log10(x)).rounded(.down))
        for m in [1.0, 2, 2.5, 5, 10] where m * p >= x { return m * p }
        return 10 * p
    }

    static func niceStep(_ x: Double) -> Double { niceCeil(x) }

    static func f(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%.1f", x)
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
