/// The paper's small MNIST CNN (docs/model.md): 3 conv + 1 fc, full width 16 channels,
/// nested sub-networks that are contiguous channel ranges.

// Role, ModelKind, Subnet and Connectivity live in FluidVocabulary (shared with the
// dashboard, which has no other dependency); re-exported so FluidModel users see them.
@_exported import FluidVocabulary

/// Network dimensions, fixed by the paper. Everything else about the shape (each layer's
/// sides, padding, channel counts, the fc width) is derived from these in `CNN+Geometry.swift`.
package enum CNN {
    package static let fullWidth = 16
    package static let groupWidth = 4
    package static let groups = 4
    package static let classes = 10
    package static let imageSide = 28
    package static let imageChannels = 1

    /// Group index (0…3) of a channel.
    package static func group(ofChannel c: Int) -> Int { c / groupWidth }
}
