/// The one place that defines the SIMD vector width of every kernel (docs/model.md).
///
/// 8 floats = one 256-bit AVX register on x86_64 (built with `-target-cpu haswell`, see
/// Package.swift) and two 128-bit NEON registers on Arm. Kernels derive their tiles from
/// `FloatVector.scalarCount`, so changing this line changes the whole module.
package typealias FloatVector = SIMD8<Float>

/// Half-width vector, used where a channel count is 4 (the 25 % groups) or leaves a tail of 4.
package typealias FloatHalfVector = SIMD4<Float>

/// The vector types the kernels are generic over, with the few operations whose standard
/// library versions are generic out-of-line calls (measured: `pointwiseMax` took 17 % of
/// a forward pass). Concrete implementations inline into single instructions.
package protocol KernelVector: SIMD where Scalar == Float {
    /// Lane-wise maximum (inputs are never NaN in the kernels).
    static func vmax(_ a: Self, _ b: Self) -> Self
}

extension SIMD8: KernelVector where Scalar == Float {
    @inline(__always) package static func vmax(_ a: Self, _ b: Self) -> Self {
        a.replacing(with: b, where: a .< b)
    }
}

extension SIMD4: KernelVector where Scalar == Float {
    @inline(__always) package static func vmax(_ a: Self, _ b: Self) -> Self {
        a.replacing(with: b, where: a .< b)
    }
}
