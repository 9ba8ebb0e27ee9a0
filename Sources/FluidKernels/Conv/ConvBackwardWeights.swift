/// f32 conv3x3 weight gradient: dW[o, i, ky, kx] += Σ_pixels dOut[p, o] · in[p + (ky-1, kx-1), i].
///
/// A GEMM of (OC × pixels) by (pixels × 9·IC). The register tile is 6 entries j = (tap, i)
/// of the gradient × two vectors of output channels, kept in registers over all pixels of
/// one image (the image's input and dOut stay in L1): per pixel 2 loads of dOut, 6
/// broadcasts of input and 12 fused multiply-adds.
enum ConvBackwardWeights {
    /// input [N,H,W,IC]; dOutput [N,H,W,OC]; dWeight [OC,IC,3,3] +=; dBias [OC] +=
    static func run(input: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                    dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
                    n: Int, h: Int, w: Int, ic: Int, oc: Int) {
        guard n > 0, h > 0, w > 0, ic > 0, oc > 0 else { return }
        let vw = FloatVector.scalarCount
        let ocPad = (oc + vw - 1) / vw * vw
        let pixels = n * h * w
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: Padding.paddedCount(n: n, h: h, w: w, c: ic))
        defer { padded.deallocate() }
        Padding.pad(input, into: padded, n: n, h: h, w: w, c: ic)

        // dOut with its channels padded to whole vectors (zero lanes give zero gradients, dropped).
        var dPadded: UnsafeMutablePointer<Float>? = nil
        if ocPad != oc {
            let d = UnsafeMutablePointer<Float>.allocate(capacity: pixels * ocPad)
            // Per pixel a handful of floats: an inline loop, not a memmove call per pixel.
            for p in 0..<pixels {
                let src = dOutput + p * oc, dst = d + p * ocPad
                for i in 0..<oc { dst[i] = src[i] }
                for i in oc..<ocPad { dst[i] = 0 }
            }
            dPadded = d
        }
        defer { dPadded?.deallocate() }
        let d = UnsafePointer(dPadded) ?? dOutput

        let entries = 9 * ic
        let rowStride = (w + 2) * ic
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: entries)
        defer { offsets.deallocate() }
        for j in 0..<entries {
            let tap = j / ic, i = j % ic
            offsets[j] = (tap / 3) * rowStride + (tap % 3) * ic + i
        }
        // G [9·IC, ocPad]: the gradient transposed, j-major, so a tile row is whole vectors.
        let g = UnsafeMutablePointer<Float>.allocate(capacity: entries * ocPad)
        defer { g.deallocate() }
        g.initialize(repeating: 0, count: entries * ocPad)

        var lo = 0
        while lo < ocPad {
            let two = ocPad - lo >= 2 * vw
            for b in 0..<n {
                let img = UnsafePointer(padded) + b * (h + 2) * rowStride
                let dImg = d + b * h * w * ocPad + lo
                var jb = 0
                while jb < entries {
                    if two {
                        tile6x2(img, dImg, g + lo, ocPad, offsets, jb, entries, h, w, ic, rowStride)
                    } else {
                        tile6x1(img, dImg, g + lo, ocPad, offsets, jb, entries, h, w, ic, rowStride)
                    }
                    jb += 6
                }
            }
            lo += two ? 2 * vw : vw
        }

        for o in 0..<oc {
            for j in 0..<entries {
                let tap = j / ic, i = j % ic
                dWeight[(o * ic + i) * 9 + tap] += g[j * ocPad + o]
            }
        }
        biasGradient(d, ocPad: ocPad, pixels: pixels, oc: oc, dBias: dBias)
    }

    /// dBias[o] += Σ_p dOut[p, o] over a dOut with whole-vector rows.
    static func biasGradient(_ d: UnsafePointer<Float>, ocPad: Int, pixels: Int, oc: Int, dBias: UnsafeMutablePointer<Float>) {
        let vw = FloatVector.scalarCount
        var lo = 0
        while lo < ocPad {
            var acc0 = FloatVector(repeating: 0), acc1 = FloatVector(repeating: 0)
            var p = 0
            while p + 1 < pixels {
                acc0 += UnsafeRawPointer(d + p * ocPad + lo).loadUnaligned(as: FloatVector.self)
                acc1 += UnsafeRawPointer(d + (p + 1) * ocPad + lo).loadUnaligned(as: FloatVector.self)
                p += 2
            }
            if p < pixels { acc0 += UnsafeRawPointer(d + p * ocPad + lo).loadUnaligned(as: FloatVector.self) }
            let s = acc0 + acc1
            for l in 0..<vw where lo + l < oc { dBias[lo + l] += s[l] }
            lo += vw
        }
    }

    @inline(__always)
    static func tile6x2(_ img: UnsafePointer<Float>, _ dImg: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                        _ ocPad: Int, _ offsets: UnsafePointer<Int>, _ jb: Int, _ entries: Int,
                        _ h: Int, _ w: Int, _ ic: Int, _ rowStride: Int) {
        typealias V = FloatVector
        let vw = V.scalarCount
        let last = entries - 1
        let o0 = offsets[jb], o1 = offsets[min(jb + 1, last)], o2 = offsets[min(jb + 2, last)]
        let o3 = offsets[min(jb + 3, last)], o4 = offsets[min(jb + 4, last)], o5 = offsets[min(jb + 5, last)]
        @inline(__always) func ld(_ k: Int, _ v: Int) -> V {
            UnsafeRawPointer(g + min(jb + k, last) * ocPad + v * vw).loadUnaligned(as: V.self)
        }
        var a0 = ld(0, 0), b0 = ld(0, 1), a1 = ld(1, 0), b1 = ld(1, 1), a2 = ld(2, 0), b2 = ld(2, 1)
        var a3 = ld(3, 0), b3 = ld(3, 1), a4 = ld(4, 0), b4 = ld(4, 1), a5 = ld(5, 0), b5 = ld(5, 1)
        for y in 0..<h {
            var px = img + y * rowStride
            var dp = dImg + y * w * ocPad
            for _ in 0..<w {
                let d0 = UnsafeRawPointer(dp).loadUnaligned(as: V.self)
                let d1 = UnsafeRawPointer(dp + vw).loadUnaligned(as: V.self)
                var x = V(repeating: px[o0]); a0.addProduct(x, d0); b0.addProduct(x, d1)
                x = V(repeating: px[o1]); a1.addProduct(x, d0); b1.addProduct(x, d1)
                x = V(repeating: px[o2]); a2.addProduct(x, d0); b2.addProduct(x, d1)
                x = V(repeating: px[o3]); a3.addProduct(x, d0); b3.addProduct(x, d1)
                x = V(repeating: px[o4]); a4.addProduct(x, d0); b4.addProduct(x, d1)
                x = V(repeating: px[o5]); a5.addProduct(x, d0); b5.addProduct(x, d1)
                px += ic
                dp += ocPad
            }
        }
        @inline(__always) func st(_ k: Int, _ x: V, _ y: V) {
            guard jb + k <= last else { return }
            let p = UnsafeMutableRawPointer(g + (jb + k) * ocPad)
            p.storeBytes(of: x, as: V.self)
            p.storeBytes(of: y, toByteOffset: MemoryLayout<V>.size, as: V.self)
        }
        st(0, a0, b0); st(1, a1, b1); st(2, a2, b2); st(3, a3, b3); st(4, a4, b4); st(5, a5, b5)
    }

    @inline(__always)
    static func tile6x1(_ img: UnsafePointer<Float>, _ dImg: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                        _ ocPad: Int, _ offsets: UnsafePointer<Int>, _ jb: Int, _ entries: Int,
                        _ h: Int, _ w: Int, _ ic: Int, _ rowStride: Int) {
        typealias V = FloatVector
        let last = entries - 1
        let o0 = offsets[jb], o1 = offsets[min(jb + 1, last)], o2 = offsets[min(jb + 2, last)]
        let o3 = offsets[min(jb + 3, last)], o4 = offsets[min(jb + 4, last)], o5 = offsets[min(jb + 5, last)]
        @inline(__always) func ld(_ k: Int) -> V {
            UnsafeRawPointer(g + min(jb + k, last) * ocPad).loadUnaligned(as: V.self)
        }
        var a0 = ld(0), a1 = ld(1), a2 = ld(2), a3 = ld(3), a4 = ld(4), a5 = ld(5)
        for y in 0..<h {
            var px = img + y * rowStride
            var dp = dImg + y * w * ocPad
            for _ in 0..<w {
                let d0 = UnsafeRawPointer(dp).loadUnaligned(as: V.self)
                a0.addProduct(V(repeating: px[o0]), d0)
                a1.addProduct(V(repeating: px[o1]), d0)
                a2.addProduct(V(repeating: px[o2]), d0)
                a3.addProduct(V(repeating: px[o3]), d0)
                a4.addProduct(V(repeating: px[o4]), d0)
                a5.addProduct(V(repeating: px[o5]), d0)
                px += ic
                dp += ocPad
            }
        }
        @inline(__always) func st(_ k: Int, _ x: V) {
            guard jb + k <= last else { return }
            UnsafeMutableRawPointer(g + (jb + k) * ocPad).storeBytes(of: x, as: V.self)
        }
        st(0, a0); st(1, a1); st(2, a2); st(3, a3); st(4, a4); st(5, a5)
    }
}
