import FluidCluster
import FluidModel
import FluidTransport

/// The paper's claims (Xun et al., Fig. 2; README: Results) checked against measured rows.
public enum PaperChecks {
    /// Fig. 2 on the Jetson Xavier NX CPU, images/s.
    public static let paperStatic = 11.1
    public static let paperDynamic = 14.4
    public static let paperFluidHT = 28.3
    /// Ratios this project must keep (README: Results).
    public static let minFluidOverStatic = 2.5
    public static let minFluidOverDynamic = 2.0

    /// Every claim for every link that has the rows it needs.
    public static func evaluate(_ rows: [PaperRow], links: [String], lost: [String: Int] = [:]) -> [PaperCheck] {
        func row(_ k: ModelKind, _ s: PaperScenario, _ l: String) -> PaperRow? {
            rows.first { $0.kind == k.rawValue && $0.scenario == s.rawValue && $0.link == l }
        }
        var out: [PaperCheck] = []
        for link in links {
            // Where docs/cluster.md says the kind stops: exactly 0 img/s and every request answered
            // unavailable; where it runs: predictions.
            var stopped: [String] = [], stopOK = true
            var running: [String] = [], runOK = true
            for r in rows where r.link == link {
                guard let k = ModelKind(rawValue: r.kind), let s = PaperScenario(rawValue: r.scenario) else { continue }
                let label = "\(r.kind)/\(r.scenario)"
                if s.plan(for: k) == .none {
                    let ok = r.error == nil && r.imgPerS == 0 && r.unavailablePerS > 0
                    stopOK = stopOK && ok
                    stopped.append("\(label) \(fmt(r.imgPerS)) img/s, \(fmt(r.unavailablePerS)) unavailable/s\(ok ? "" : " ✗")")
                } else {
                    let ok = r.error == nil && r.imgPerS > 0 && r.plan == s.plan(for: k).rawValue
                    runOK = runOK && ok
                    if !ok { running.append("\(label) \(fmt(r.imgPerS)) img/s on \(r.plan)\(r.error.map { " (\($0))" } ?? "") ✗") }
                }
            }
            if !stopped.isEmpty {
                out.append(PaperCheck(name: "stops where docs/cluster.md says (0 img/s, all unavailable)", link: link,
                                      paper: "Static: both single-device cases; Dynamic: Worker only",
                                      ours: stopped.joined(separator: "; "), pass: stopOK))
            }
            out.append(PaperCheck(name: "runs its docs/cluster.md plan everywhere else", link: link, paper: "—",
                                  ours: running.isEmpty ? "all rows on their plan with predictions" : running.joined(separator: "; "),
                                  pass: runOK))
            if let f = row(.fluid, .bothHT, link), let s = row(.static, .bothHT, link), s.imgPerS > 0 {
                let x = f.imgPerS / s.imgPerS
                out.append(PaperCheck(name: "Fluid HT ÷ Static ≥ \(fmt(minFluidOverStatic))", link: link,
                                      paper: "\(fmt(paperFluidHT)) / \(fmt(paperStatic)) = \(fmt(paperFluidHT / paperStatic, 2))",
                                      ours: "\(fmt(f.imgPerS)) / \(fmt(s.imgPerS)) = \(fmt(x, 2))", pass: x >= minFluidOverStatic))
            }
            if let f = row(.fluid, .bothHT, link), let d = row(.dynamic, .bothHT, link), d.imgPerS > 0 {
                let x = f.imgPerS / d.imgPerS
                out.append(PaperCheck(name: "Fluid HT ÷ Dynamic ≥ \(fmt(minFluidOverDynamic))", link: link,
                                      paper: "\(fmt(paperFluidHT)) / \(fmt(paperDynamic)) = \(fmt(paperFluidHT / paperDynamic, 2))",
                                      ours: "\(fmt(f.imgPerS)) / \(fmt(d.imgPerS)) = \(fmt(x, 2))", pass: x >= minFluidOverDynamic))
            }
            if let f = row(.fluid, .bothHA, link)?.accuracy, let s = row(.static, .bothHA, link)?.accuracy {
                out.append(PaperCheck(name: "Fluid HA accuracy ≥ Static's", link: link, paper: "matches or beats Static",
                                      ours: "\(pct(f)) vs \(pct(s))", pass: f >= s))
            }
        }
        if !lost.isEmpty {
            let bad = lost.filter { $0.value != 0 }.sorted { $0.key < $1.key }
            out.append(PaperCheck(name: "no request lost (sent − answered = 0 in every cluster run)", link: "all",
                                  paper: "—", ours: bad.isEmpty ? "0 in \(lost.count) runs" : bad.map { "\($0.key): \($0.value)" }.joined(separator: ", "),
                                  pass: bad.isEmpty))
        }
        return out
    }

    static func fmt(_ x: Double, _ digits: Int = 1) -> String {
        if x == 0 { return "0" }
        if digits == 1, abs(x) >= 100 { return String(Int(x.rounded())) }
        let p = pow10(digits)
        let v = (x * p).rounded() / p
        return "\(v)"
    }

    static func pct(_ x: Double) -> String { "\(fmt(x * 100, 2)) %" }

    private static func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { a, _ in a * 10 } }
}
