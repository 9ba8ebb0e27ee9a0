/// 12 pixels × 1 vector tiles for 5…8 output channels (SIMD8) or ≤ 4 (SIMD4): 12
/// accumulators hide the FMA latency on two pipes, which the 8-accumulator tile could not
/// (see ConvMicroKernels.swift for the conventions).

typealias Pixels12 = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                      UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                      UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)

struct Acc12x1<V: KernelVector> {
    var a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11: V
}

/// f32 conv3x3, 12 pixels × 1 vector.
@inline(__always)
func conv3x3Tile12x1<V: KernelVector>(_ px: Pixels12, _ w: UnsafePointer<V>, _ segs: UnsafePointer<Int>,
                                      _ segCount: Int) -> Acc12x1<V> {
    let z = V(repeating: 0)
    var acc = Acc12x1(a0: z, a1: z, a2: z, a3: z, a4: z, a5: z, a6: z, a7: z, a8: z, a9: z, a10: z, a11: z)
    var wp = w
    for s in 0..<segCount {
        let off = segs[2 * s], len = segs[2 * s + 1]
        let p0 = px.0 + off, p1 = px.1 + off, p2 = px.2 + off, p3 = px.3 + off
        let p4 = px.4 + off, p5 = px.5 + off, p6 = px.6 + off, p7 = px.7 + off
        let p8 = px.8 + off, p9 = px.9 + off, p10 = px.10 + off, p11 = px.11 + off
        for j in 0..<len {
            let w0 = wp[0]
            wp += 1
            acc.a0.addProduct(V(repeating: p0[j]), w0)
            acc.a1.addProduct(V(repeating: p1[j]), w0)
            acc.a2.addProduct(V(repeating: p2[j]), w0)
            acc.a3.addProduct(V(repeating: p3[j]), w0)
            acc.a4.addProduct(V(repeating: p4[j]), w0)
            acc.a5.addProduct(V(repeating: p5[j]), w0)
            acc.a6.addProduct(V(repeating: p6[j]), w0)
            acc.a7.addProduct(V(repeating: p7[j]), w0)
            acc.a8.addProduct(V(repeating: p8[j]), w0)
            acc.a9.addProduct(V(repeating: p9[j]), w0)
            acc.a10.addProduct(V(repeating: p10[j]), w0)
            acc.a11.addProduct(V(repeating: p11[j]), w0)
        }
    }
    return acc
}

/// f32 conv3x3 with one input channel, 12 pixels × 1 vector, taps unrolled.
@inline(__always)
func conv3x3Ic1Tile12x1<V: KernelVector>(_ px: Pixels12, _ rs: Int, _ w: UnsafePointer<V>) -> Acc12x1<V> {
    let z = V(repeating: 0)
    var acc = Acc12x1(a0: z, a1: z, a2: z, a3: z, a4: z, a5: z, a6: z, a7: z, a8: z, a9: z, a10: z, a11: z)
    for ky in 0..<3 {
        for kx in 0..<3 {
            let w0 = w[ky * 3 + kx], o = ky * rs + kx
            acc.a0.addProduct(V(repeating: px.0[o]), w0)
            acc.a1.addProduct(V(repeating: px.1[o]), w0)
            acc.a2.addProduct(V(repeating: px.2[o]), w0)
            acc.a3.addProduct(V(repeating: px.3[o]), w0)
            acc.a4.addProduct(V(repeating: px.4[o]), w0)
            acc.a5.addProduct(V(repeating: px.5[o]), w0)
            acc.a6.addProduct(V(repeating: px.6[o]), w0)
            acc.a7.addProduct(V(repeating: px.7[o]), w0)
            acc.a8.addProduct(V(repeating: px.8[o]), w0)
            acc.a9.addProduct(V(repeating: px.9[o]), w0)
            acc.a10.addProduct(V(repeating: px.10[o]), w0)
            acc.a11.addProduct(V(repeating: px.11[o]), w0)
        }
    }
    return acc
}
