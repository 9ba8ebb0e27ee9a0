/// Register-blocked 3×3 convolution micro-kernels: P output pixels × one or two vectors of
/// output channels stay in registers for the whole 3×3×IC reduction.
///
/// Inputs are padded NHWC (a zero border of one pixel), so a kernel never tests bounds.
/// `px.k` points at the input pixel under tap (0, 0) of output pixel k; `segs` lists
/// (offset, length) runs of input floats relative to that pointer, in the order the
/// weights were packed (see `Conv3x3Plan`): with all channels read, one run of 3·IC
/// floats per kernel row; with a channel sub-range, one run of IC floats per tap.
/// `w` holds, for every float of every run, the vector(s) of output-channel weights.
///
/// Register budget (16 vector registers on AVX2): 6×2 = 12 accumulators + 2 weights +
/// 1 broadcast; 8×1 = 8 accumulators. Each step is 1 or 2 weight loads, P broadcasts
/// from memory and P·V fused multiply-adds.

typealias Pixels6 = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                     UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)
typealias Pixels8 = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                     UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)

/// Accumulators of a 6-pixel × 2-vector tile: (pixel k, vector 0) and (pixel k, vector 1).
struct Acc6x2<V: KernelVector> {
    var a0, b0, a1, b1, a2, b2, a3, b3, a4, b4, a5, b5: V
}

struct Acc8x1<V: KernelVector> {
    var a0, a1, a2, a3, a4, a5, a6, a7: V
}

/// f32 conv3x3, 6 pixels × 2 vectors (C = 9…16 with SIMD8).
@inline(__always)
func conv3x3Tile6x2<V: KernelVector>(_ px: Pixels6, _ w: UnsafePointer<V>, _ segs: UnsafePointer<Int>, _ segCount: Int,
                             _ init0: V, _ init1: V) -> Acc6x2<V> {
    var acc = Acc6x2(a0: init0, b0: init1, a1: init0, b1: init1, a2: init0, b2: init1,
                     a3: init0, b3: init1, a4: init0, b4: init1, a5: init0, b5: init1)
    var wp = w
    for s in 0..<segCount {
        let off = segs[2 * s], len = segs[2 * s + 1]
        let p0 = px.0 + off, p1 = px.1 + off, p2 = px.2 + off
        let p3 = px.3 + off, p4 = px.4 + off, p5 = px.5 + off
        for j in 0..<len {
            let w0 = wp[0], w1 = wp[1]
            wp += 2
            var x = V(repeating: p0[j])
            acc.a0.addProduct(x, w0); acc.b0.addProduct(x, w1)
            x = V(repeating: p1[j])
            acc.a1.addProduct(x, w0); acc.b1.addProduct(x, w1)
            x = V(repeating: p2[j])
            acc.a2.addProduct(x, w0); acc.b2.addProduct(x, w1)
            x = V(repeating: p3[j])
            acc.a3.addProduct(x, w0); acc.b3.addProduct(x, w1)
            x = V(repeating: p4[j])
            acc.a4.addProduct(x, w0); acc.b4.addProduct(x, w1)
            x = V(repeating: p5[j])
            acc.a5.addProduct(x, w0); acc.b5.addProduct(x, w1)
        }
    }
    return acc
}

/// f32 conv3x3, 8 pixels × 1 vector (C = 5…8 with SIMD8, C ≤ 4 with SIMD4).
@inline(__always)
func conv3x3Tile8x1<V: KernelVector>(_ px: Pixels8, _ w: UnsafePointer<V>, _ segs: UnsafePointer<Int>, _ segCount: Int,
                             _ init0: V) -> Acc8x1<V> {
    var acc = Acc8x1(a0: init0, a1: init0, a2: init0, a3: init0, a4: init0, a5: init0, a6: init0, a7: init0)
    var wp = w
    for s in 0..<segCount {
        let off = segs[2 * s], len = segs[2 * s + 1]
        let p0 = px.0 + off, p1 = px.1 + off, p2 = px.2 + off, p3 = px.3 + off
        let p4 = px.4 + off, p5 = px.5 + off, p6 = px.6 + off, p7 = px.7 + off
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
        }
    }
    return acc
}

/// Stores the first `count` lanes of `v` at `p` (unaligned): a whole vector when it fits.
@inline(__always)
func storeLanes<V: KernelVector>(_ v: V, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    if count == V.scalarCount {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    } else if count == 4 && V.scalarCount == 8 {
        UnsafeMutableRawPointer(p).storeBytes(of: SIMD4<Float>(v[0], v[1], v[2], v[3]), as: SIMD4<Float>.self)
    } else {
        for i in 0..<count { p[i] = v[i] }
    }
}

@inline(__always)
func reluIf<V: KernelVector>(_ v: V, _ relu: Bool) -> V {
    relu ? V.vmax(v, V(repeating: 0)) : v
}

/// Lane-wise max as one compare + blend (vmaxps). The standard library's `pointwiseMax`
/// is an out-of-line generic call with NaN handling, 17 % of a forward pass when profiled.
@inline(__always)
func vmax<V: KernelVector>(_ a: V, _ b: V) -> V {
    V.vmax(a, b)
}

@inline(__always)
func max4<V: KernelVector>(_ a: V, _ b: V, _ c: V, _ d: V) -> V {
    vmax(vmax(a, b), vmax(c, d))
}

/// f32 conv3x3 with one input channel, two 2×2 pool windows (at p and q) × 1 vector.
@inline(__always)
func conv3x3Ic1Quads1v<V: KernelVector>(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ rs: Int,
                                _ w: UnsafePointer<V>) -> Acc8x1<V> {
    let z = V(repeating: 0)
    var acc = Acc8x1(a0: z, a1: z, a2: z, a3: z, a4: z, a5: z, a6: z, a7: z)
    for ky in 0..<3 {
        let r0 = p + ky * rs, r1 = r0 + rs, s0 = q + ky * rs, s1 = s0 + rs
        for kx in 0..<3 {
            let w0 = w[ky * 3 + kx]
            acc.a0.addProduct(V(repeating: r0[kx]), w0)
            acc.a1.addProduct(V(repeating: r0[kx + 1]), w0)
            acc.a2.addProduct(V(repeating: r1[kx]), w0)
            acc.a3.addProduct(V(repeating: r1[kx + 1]), w0)
            acc.a4.addProduct(V(repeating: s0[kx]), w0)
            acc.a5.addProduct(V(repeating: s0[kx + 1]), w0)
            acc.a6.addProduct(V(repeating: s1[kx]), w0)
            acc.a7.addProduct(V(repeating: s1[kx + 1]), w0)
        }
    }
    return acc
}

/// f32 conv3x3 with one input channel, 6 pixels × 2 vectors, taps unrolled (training's conv1).
@inline(__always)
func conv3x3Ic1Tile6x2<V: KernelVector>(_ px: Pixels6, _ rs: Int, _ w: UnsafePointer<V>, _ init0: V, _ init1: V) -> Acc6x2<V> {
    var acc = Acc6x2(a0: init0, b0: init1, a1: init0, b1: init1, a2: init0, b2: init1,
                     a3: init0, b3: init1, a4: init0, b4: init1, a5: init0, b5: init1)
    for ky in 0..<3 {
        let off = ky * rs
        for kx in 0..<3 {
            let w0 = w[2 * (ky * 3 + kx)], w1 = w[2 * (ky * 3 + kx) + 1]
            let o = off + kx
            var x = V(repeating: px.0[o]); acc.a0.addProduct(x, w0); acc.b0.addProduct(x, w1)
            x = V(repeating: px.1[o]); acc.a1.addProduct(x, w0); acc.b1.addProduct(x, w1)
            x = V(repeating: px.2[o]); acc.a2.addProduct(x, w0); acc.b2.addProduct(x, w1)
            x = V(repeating: px.3[o]); acc.a3.addProduct(x, w0); acc.b3.addProduct(x, w1)
            x = V(repeating: px.4[o]); acc.a4.addProduct(x, w0); acc.b4.addProduct(x, w1)
            x = V(repeating: px.5[o]); acc.a5.addProduct(x, w0); acc.b5.addProduct(x, w1)
        }
    }
    return acc
}

/// Stores one pixel's two vectors of a 2-vector tile: `w0` and `w1` valid lanes, ReLU if asked.
@inline(__always)
func store2<V: KernelVector>(_ x: V, _ y: V, _ p: UnsafeMutablePointer<Float>, _ w0: Int, _ w1: Int, _ relu: Bool) {
    storeLanes(reluIf(x, relu), p, w0)
    if w1 > 0 { storeLanes(reluIf(y, relu), p + V.scalarCount, w1) }
}

/// f32 conv3x3 with one input channel, 6 consecutive pixels of a row × 2 vectors: per
/// kernel row the 8 input floats under the tile are broadcast once and each feeds up to
/// 3 taps (42 loads for 108 FMAs instead of 72). p = tap (0,0) of the first pixel.
@inline(__always)
func conv3x3Ic1Row6x2<V: KernelVector>(_ p: UnsafePointer<Float>, _ rs: Int, _ w: UnsafePointer<V>) -> Acc6x2<V> {
    let z = V(repeating: 0)
    var acc = Acc6x2(a0: z, b0: z, a1: z, b1: z, a2: z, b2: z, a3: z, b3: z, a4: z, b4: z, a5: z, b5: z)
    for ky in 0..<3 {
        let r = p + ky * rs
        for kx in 0..<3 {
            let w0 = w[2 * (ky * 3 + kx)], w1 = w[2 * (ky * 3 + kx) + 1]
            var x = V(repeating: r[kx]); acc.a0.addProduct(x, w0); acc.b0.addProduct(x, w1)
            x = V(repeating: r[kx + 1]); acc.a1.addProduct(x, w0); acc.b1.addProduct(x, w1)
            x = V(repeating: r[kx + 2]); acc.a2.addProduct(x, w0); acc.b2.addProduct(x, w1)
            x = V(repeating: r[kx + 3]); acc.a3.addProduct(x, w0); acc.b3.addProduct(x, w1)
            x = V(repeating: r[kx + 4]); acc.a4.addProduct(x, w0); acc.b4.addProduct(x, w1)
            x = V(repeating: r[kx + 5]); acc.a5.addProduct(x, w0); acc.b5.addProduct(x, w1)
        }
    }
    return acc
}
