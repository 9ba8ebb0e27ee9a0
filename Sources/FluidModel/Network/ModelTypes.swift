/// The paper's small MNIST CNN (docs/model.md): 3 conv + 1 fc, full width 16 channels,
/// nested sub-networks that are contiguous channel ranges.

// Role, ModelKind, Subnet and Connectivity live in FluidVocabulary (shared with the
// dashboard, which has no other dependency); re-exported so FluidModel users see them.
@_exported import FluidVocabulary

/// Network dimensions, fixed by the paper.
public enum CNN {
    public static let fullWidth = 16
    public static let groupWidth = 4
    public static let groups = 4
    public static let classes = 10
    public static let imageSide = 28
    public static let imagePixels = 28 * 28
    /// Spatial side after each conv + pool: 28 → 14 → 7 → 3 (floor).
    public static let sides = [28, 14, 7, 3]
    /// fc features per channel (3 × 3).
    public static let featuresPerChannel = 9
    public static let fcInputs = fullWidth * featuresPerChannel // 144

    /// Group index (0…3) of a channel.
    @inlinable public static func group(ofChannel c: Int) -> Int { c / groupWidth }

    /// Multiply-accumulates per image for a sub-network of width `c` (issue 3: 2205·C² + 7146·C).
    public static func macsPerImage(width c: Int) -> Int { 2205 * c * c + 7146 * c }
}
