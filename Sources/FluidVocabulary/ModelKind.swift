/// How a weight file was trained (docs/model.md).
public enum ModelKind: String, CaseIterable, Codable, Sendable {
    case `static`, dynamic, fluid

    /// "Static" / "Dynamic" / "Fluid".
    public var title: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}

/// Which input channels an output channel may read (docs/model.md).
public enum Connectivity: String, CaseIterable, Codable, Sendable {
    /// Every output channel reads every input channel of its sub-network.
    case dense
    /// An output channel of group g reads only input groups ≤ g; blocks above stay zero.
    case triangular
}
