/// The paper's small MNIST CNN (docs/model.md): 3 conv + 1 fc, full width 16 channels,
/// nested sub-networks that are contiguous channel ranges.

// Role, ModelKind, Subnet and Connectivity live in FluidVocabulary (shared with the
// dashboard, which has no other dependency); re-exported so FluidModel users see them.
@_exported import FluidVocabulary

/// Network dimensions, fixed by the paper. Everything else about the shape (each layer's
/// sides, padding, channel counts, the fc width) is derived from these in `CNN+Geometry.swift`.
public enum CNN {
    public static let fullWidth = 16
    public static let groupWidth = 4
    public static let groups = 4
    public static let classes = 10
    public static let imageSide = 28
    public static let imageChannels = 1

    /// Group index (0…3) of a channel.
    @inlinable public static func group(ofChannel c: Int) -> Int { c / groupWidth }
}
