/// What a cell *means*, not what colour it is (htop's METER_VALUE_OK/WARN/ERROR).
/// The terminal backend maps each role to a colour pair, or to plain attributes
/// (bold, dim, reverse) when colour is off (`NO_COLOR`, `--no-color`). A role never
/// carries meaning alone: every state is also drawn as a glyph and a word.
public enum StyleRole: UInt8, CaseIterable, Sendable {
    case normal
    case dim
    case accent
    case healthy
    case degraded
    case failed
    case title
    case key
    case border
    case selected
    /// The header bar by health: full plan, degraded, outage (the header also says it in words).
    case bannerOK
    case bannerDegraded
    case bannerOutage
    /// The Worker's series in a graph (the Master's is `accent`).
    case series2
}
