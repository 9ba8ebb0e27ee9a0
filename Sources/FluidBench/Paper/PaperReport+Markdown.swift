import FluidCluster
import FluidModel
import FluidTransport

extension PaperReport {
    /// results/paper.md: one table per link (kind × scenario, img/s and accuracy), the
    /// checks against the paper, and how the figures were taken.
    public var markdown: String {
        var md = "# Fig. 2 of the paper, measured online\n\n"
        md += "Throughput (predictions/s through the real `fluid node` processes over TCP) and accuracy "
        md += "(over \(settings.accuracyImages) answered test images, or what the row answered in \(PaperChecks.fmt(settings.accuracyCapS)) s). "
        md += "*stops* = docs/cluster.md has no plan: every request is answered *unavailable*.\n\n"
        for link in links {
            let shape = link.shape
            md += "## \(link.name)\(shape.isUnshaped ? " (Master ↔ Worker over loopback TCP)" : " (Master ↔ Worker link emulated: \(shape))")\n\n"
            md += "| kind | " + PaperScenario.allCases.map(\.title).joined(separator: " | ") + " |\n"
            md += "|---|" + PaperScenario.allCases.map { _ in "---:|" }.joined() + "\n"
            for kind in ModelKind.allCases {
                guard rows.contains(where: { $0.kind == kind.rawValue && $0.link == link.name }) else { continue }
                var line = "| \(kind.rawValue.capitalized) |"
                for s in PaperScenario.allCases {
                    line += " \(cell(row(kind, s, link.name))) |"
                }
                md += line + "\n"
            }
            md += "\n"
        }
        md += "## Against the paper\n\n"
        md += "| claim | link | paper | ours | |\n|---|---|---|---|---|\n"
        for c in checks {
            md += "| \(c.name) | \(c.link) | \(c.paper) | \(c.ours) | \(c.pass ? "✓" : "✗ FAIL") |\n"
        }
        md += "\n## How\n\n"
        md += "- date \(date), \(PaperChecks.fmt(durationS)) s in all; command `\(command)`\n"
        md += "- machine: \(machine.cpu), \(machine.cores) cores, \(machine.os); load average "
        md += "\(machine.loadStart.map { PaperChecks.fmt($0, 2) } ?? "?") at start, \(machine.loadEnd.map { PaperChecks.fmt($0, 2) } ?? "?") at end\n"
        md += "- per row: plan reached, \(PaperChecks.fmt(settings.warmupS)) s warm-up, \(PaperChecks.fmt(settings.windowS)) s measuring window; "
        md += "best of \(settings.rounds) rounds over the whole matrix (accuracy from the first); "
        md += "source unthrottled, \(settings.batch) images per request frame (\(links.compactMap { l in l.batch.map { "\($0) on \(l.name)" } }.joined(separator: ", ").nilIfEmpty ?? "all links")), \(settings.windowBatches) frames in flight per device; "
        md += settings.pinnedNodes ? "each node pinned to its own core (Master cpu0, Worker cpu1: one device = one core), the source unpinned\n"
            : "nodes not pinned\n"
        for m in models {
            let acc = m.offlineAccuracy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            md += "- \(m.kind): \(m.connectivity), sha256 \(m.sha256.prefix(12))…; trainer's accuracy \(acc)\n"
        }
        md += "\nCPU used during each window (cores; /proc and getrusage), and images per request frame:\n\n"
        md += "| link | kind | scenario | source | master | worker | batch |\n|---|---|---|---:|---:|---:|---:|\n"
        for r in rows where r.error == nil {
            md += "| \(r.link) | \(r.kind) | \(r.scenario) | \(PaperChecks.fmt(r.cpuSource, 2)) | "
            md += "\(r.cpuMaster.map { PaperChecks.fmt($0, 2) } ?? "—") | \(r.cpuWorker.map { PaperChecks.fmt($0, 2) } ?? "—") | "
            md += "\(r.batch.map(String.init) ?? "—")\(r.retried ? " (re-measured: the first window was disturbed)" : "") |\n"
        }
        return md
    }

    func cell(_ r: PaperRow?) -> String {
        guard let r else { return "—" }
        if let e = r.error { return "error: \(e)" }
        if r.plan == Plan.none.rawValue || (r.imgPerS == 0 && r.accuracy == nil) {
            return "**0** (stops)"
        }
        let acc = r.accuracy.map { " · \(PaperChecks.pct($0))" } ?? ""
        return "\(PaperChecks.fmt(r.imgPerS)) img/s\(acc) <sub>\(r.plan)</sub>"
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
