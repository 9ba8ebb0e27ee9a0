/// Unicode block sparklines (▁▂▃▄▅▆▇█) for the throughput and accuracy history.
public enum Sparkline {
    static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The newest `width` values drawn between `low` and `high`; a value at or below
    /// `zeroBelow` is drawn blank, so an outage (0 img/s) reads as a gap, not a
    /// low bar. Shorter histories are right-aligned (newest at the right edge).
    public static func render(_ values: [Double], width: Int, low: Double, high: Double,
                              zeroBelow: Double? = nil) -> String {
        guard width > 0 else { return "" }
        let shown = values.suffix(width)
        var out = String(repeating: " ", count: width - shown.count)
        let span = high - low
        for v in shown {
            if !v.isFinite { out.append(" "); continue }
            if let z = zeroBelow, v <= z { out.append(" "); continue }
            let f = span > 0 ? (v - low) / span : 1
            let i = Int((min(1, max(0, f)) * Double(levels.count - 1)).rounded())
            out.append(levels[i])
        }
        return out
    }

    /// Throughput: scaled 0…max of what is shown.
    public static func throughput(_ values: [Double], width: Int) -> String {
        let high = values.suffix(width).filter(\.isFinite).max() ?? 0
        return render(values, width: width, low: 0, high: max(high, 1e-9), zeroBelow: 0)
    }

    /// Accuracy: scaled to the range shown (at least one percentage point wide),
    /// because the interesting differences (98 % vs 99 %) vanish on a 0…100 % scale.
    public static func accuracy(_ values: [Double], width: Int) -> String {
        let shown = values.suffix(width).filter(\.isFinite)
        let low = max(0, (shown.min() ?? 0) - 0.002)
        let high = max(shown.max() ?? 1, low + 0.01)
        return render(values, width: width, low: low, high: high)
    }

    /// A `height`-row column graph of the newest `width` values, rows top to bottom,
    /// in eighths of a cell; right-aligned like `render`.
    public static func columns(_ values: [Double], width: Int, height: Int, low: Double, high: Double) -> [String] {
        guard width > 0, height > 0 else { return [] }
        let shown = Array(values.suffix(width))
        let pad = width - shown.count
        let span = high - low
        let eighths = shown.map { v -> Int in
            guard v.isFinite else { return 0 }
            let f = span > 0 ? (v - low) / span : 1
            return Int((min(1, max(0, f)) * Double(height * 8 - 1)).rounded()) + 1
        }
        return (0..<height).map { fromTop in
            let base = (height - 1 - fromTop) * 8
            var line = String(repeating: " ", count: pad)
            for e in eighths {
                let f = min(8, max(0, e - base))
                line.append(f == 0 ? " " : levels[f - 1])
            }
            return line
        }
    }
}
