/// Running a prepared convolution over a batch: plain output (training, backward data)
/// and fused bias + ReLU + 2×2 max-pool output (inference).
extension Conv3x3Plan {
    /// input: padded [N, H+2, W+2, inStride]; output [N, H, W, outStride] written at channels
    /// outChannel..<outChannel+OC. Bias added, ReLU if `relu`.
    package func forward(input: UnsafePointer<Float>, n: Int, output: UnsafeMutablePointer<Float>,
                        outStride: Int, outChannel: Int = 0, relu: Bool) {
        let hw = h * w
        guard hw > 0 else { return }
        for b in 0..<n {
            let img = input + b * imageStride
            let outImg = output + b * hw * outStride + outChannel
            for blk in blocks {
                switch blk.lanes {
                case 16: plain6x2(blk, img, outImg, outStride, relu, FloatVector.self)
                case 8: plain8x1(blk, img, outImg, outStride, relu, FloatVector.self)
                default: plain8x1(blk, img, outImg, outStride, relu, FloatHalfVector.self)
                }
            }
        }
    }

    /// input: padded [N, H+2, W+2, inStride]; output pooled [N, H/2, W/2] at
    /// `output + b·outImageStride + y·outRowStride + x·outPixelStride + outChannel + o`.
    /// Computes only the pixels a pool window keeps (floor), so conv3's dropped row and
    /// column cost nothing. max(relu(x + b)) = relu(max(x) + b): bias and ReLU after the max.
    package func forwardPooled(input: UnsafePointer<Float>, n: Int, output: UnsafeMutablePointer<Float>,
                              outImageStride: Int, outRowStride: Int, outPixelStride: Int, outChannel: Int = 0) {
        let ph = h / 2, pw = w / 2
        guard ph > 0 && pw > 0 else { return }
        let singleChannel = inStride == 1 && icCount == 1
        for b in 0..<n {
            let img = input + b * imageStride
            let outImg = output + b * outImageStride + outChannel
            for blk in blocks {
                switch blk.lanes {
                case 16: pooledRows6x2(blk, img, outImg, ph, pw, outRowStride, outPixelStride)
                // One input channel: pool windows in pairs share their input patch (24 loads
                // for 72 FMAs); otherwise 12 independent pixels keep both FMA pipes busy.
                case 8 where singleChannel:
                    pooled8x1(blk, img, outImg, ph, pw, outRowStride, outPixelStride, FloatVector.self)
                case 8: pooledImage12x1(blk, img, outImg, ph, pw, outRowStride, outPixelStride, FloatVector.self)
                case _ where singleChannel:
                    pooled8x1(blk, img, outImg, ph, pw, outRowStride, outPixelStride, FloatHalfVector.self)
                default: pooledImage12x1(blk, img, outImg, ph, pw, outRowStride, outPixelStride, FloatHalfVector.self)
                }
            }
        }
    }

    @inline(__always)
    private func plain6x2<V: KernelVector>(_ blk: Block, _ img: UnsafePointer<Float>, _ outImg: UnsafeMutablePointer<Float>,
                                   _ outStride: Int, _ relu: Bool, _: V.Type) {
        let hw = h * w, last = hw - 1
        let wts = UnsafePointer(blk.weights.assumingMemoryBound(to: V.self))
        let bp = UnsafeRawPointer(blk.bias)
        let bias0 = bp.loadUnaligned(as: V.self)
        let bias1 = bp.loadUnaligned(fromByteOffset: MemoryLayout<V>.size, as: V.self)
        let lo = blk.lo, w0 = min(blk.width, V.scalarCount), w1 = blk.width - w0
        let singleChannel = inStride == 1 && icCount == 1, down = rowStride
        var q = 0
        while q < hw {
            let t = pixelTable
            let px: Pixels6 = (img + t[q], img + t[min(q + 1, last)], img + t[min(q + 2, last)],
                               img + t[min(q + 3, last)], img + t[min(q + 4, last)], img + t[min(q + 5, last)])
            let a = singleChannel ? conv3x3Ic1Tile6x2(px, down, wts, bias0, bias1)
                : conv3x3Tile6x2(px, wts, segs, segCount, bias0, bias1)
            let r = min(6, hw - q)
            let o = outImg + q * outStride + lo
            store2(a.a0, a.b0, o, w0, w1, relu)
            if r > 1 { store2(a.a1, a.b1, o + outStride, w0, w1, relu) }
            if r > 2 { store2(a.a2, a.b2, o + 2 * outStride, w0, w1, relu) }
            if r > 3 { store2(a.a3, a.b3, o + 3 * outStride, w0, w1, relu) }
            if r > 4 { store2(a.a4, a.b4, o + 4 * outStride, w0, w1, relu) }
            if r > 5 { store2(a.a5, a.b5, o + 5 * outStride, w0, w1, relu) }
            q += 6
        }
    }

    @inline(__always)
    private func plain8x1<V: KernelVector>(_ blk: Block, _ img: UnsafePointer<Float>, _ outImg: UnsafeMutablePointer<Float>,
                                   _ outStride: Int, _ relu: Bool, _: V.Type) {
        let hw = h * w, last = hw - 1
        let wts = UnsafePointer(blk.weights.assumingMemoryBound(to: V.self))
        let bias0 = UnsafeRawPointer(blk.bias).loadUnaligned(as: V.self)
        let lo = blk.lo, width = blk.width
        var q = 0
        while q < hw {
            let t = pixelTable
            let px: Pixels8 = (img + t[q], img + t[min(q + 1, last)], img + t[min(q + 2, last)],
                               img + t[min(q + 3, last)], img + t[min(q + 4, last)], img + t[min(q + 5, last)],
                               img + t[min(q + 6, last)], img + t[min(q + 7, last)])
            let a = conv3x3Tile8x1(px, wts, segs, segCount, bias0)
            let r = min(8, hw - q)
            let o = outImg + q * outStride + lo
            storeLanes(reluIf(a.a0, relu), o, width)
            if r > 1 { storeLanes(reluIf(a.a1, relu), o + outStride, width) }
            if r > 2 { storeLanes(reluIf(a.a2, relu), o + 2 * outStride, width) }
            if r > 3 { storeLanes(reluIf(a.a3, relu), o + 3 * outStride, width) }
            if r > 4 { storeLanes(reluIf(a.a4, relu), o + 4 * outStride, width) }
            if r > 5 { storeLanes(reluIf(a.a5, relu), o + 5 * outStride, width) }
            if r > 6 { storeLanes(reluIf(a.a6, relu), o + 6 * outStride, width) }
            if r > 7 { storeLanes(reluIf(a.a7, relu), o + 7 * outStride, width) }
            q += 8
        }
    }

    @inline(__always)
    private func pooled8x1<V: KernelVector>(_ blk: Block, _ img: UnsafePointer<Float>, _ outImg: UnsafeMutablePointer<Float>,
                                    _ ph: Int, _ pw: Int, _ outRowStride: Int, _ outPixelStride: Int,
                                    _: V.Type) {
        let wts = UnsafePointer(blk.weights.assumingMemoryBound(to: V.self))
        let bias0 = UnsafeRawPointer(blk.bias).loadUnaligned(as: V.self)
        let zero = V(repeating: 0)
        let lo = blk.lo, width = blk.width
        let down = rowStride, right = inStride
        let singleChannel = inStride == 1 && icCount == 1
        let quads = ph * pw
        var q = 0
        while q < quads {
            // Two pool windows per tile; an odd last window is computed twice, stored once.
            let q1 = min(q + 1, quads - 1)
            let p = img + quadTable[q], r = img + quadTable[q1]
            let a = singleChannel ? conv3x3Ic1Quads1v(p, r, down, wts)
                : conv3x3Tile8x1((p, p + right, p + down, p + down + right,
                                  r, r + right, r + down, r + down + right), wts, segs, segCount, zero)
            let m0 = vmax(max4(a.a0, a.a1, a.a2, a.a3) + bias0, zero)
            let y0 = q / pw, x0 = q - y0 * pw
            storeLanes(m0, outImg + y0 * outRowStride + x0 * outPixelStride + lo, width)
            if q + 1 < quads {
                let m1 = vmax(max4(a.a4, a.a5, a.a6, a.a7) + bias0, zero)
                let y1 = q1 / pw, x1 = q1 - y1 * pw
                storeLanes(m1, outImg + y1 * outRowStride + x1 * outPixelStride + lo, width)
            }
            q += 2
        }
    }

    /// Two vectors of output channels: each pooled row is computed as its two conv rows
    /// (only the kept columns) with the 6-pixel tile, 12 accumulators instead of the 8 a
    /// lone pool window would give, then pooled from the L1-resident row-pair buffer.
    @inline(__always)
    private func pooledRows6x2(_ blk: Block, _ img: UnsafePointer<Float>, _ outImg: UnsafeMutablePointer<Float>,
                               _ ph: Int, _ pw: Int, _ outRowStride: Int, _ outPixelStride: Int) {
        typealias V = FloatVector
        let vw = V.scalarCount
        let wts = UnsafePointer(blk.weights.assumingMemoryBound(to: V.self))
        let bp = UnsafeRawPointer(blk.bias)
        let bias0 = bp.loadUnaligned(as: V.self)
        let bias1 = bp.loadUnaligned(fromByteOffset: MemoryLayout<V>.size, as: V.self)
        let zero = V(repeating: 0)
        let lo = blk.lo, w0 = min(blk.width, vw), w1 = blk.width - w0
        let singleChannel = inStride == 1 && icCount == 1, down = rowStride
        let cw = 2 * pw, pixels = 2 * cw, last = pixels - 1
        let t = pairTable, buf = pairBuffer
        for y in 0..<ph {
            let pair = img + 2 * y * down
            if singleChannel && cw >= 6 {
                // conv1: row tiles share their input (the last one overlaps, stores are idempotent).
                for row in 0..<2 {
                    var x0 = 0
                    while x0 < cw {
                        let x = min(x0, cw - 6)
                        let a = conv3x3Ic1Row6x2(pair + row * down + x, down, wts)
                        let b = buf + (row * cw + x) * 2 * vw
                        st(a.a0, b); st(a.b0, b + vw); st(a.a1, b + 2 * vw); st(a.b1, b + 3 * vw)
                        st(a.a2, b + 4 * vw); st(a.b2, b + 5 * vw); st(a.a3, b + 6 * vw); st(a.b3, b + 7 * vw)
                        st(a.a4, b + 8 * vw); st(a.b4, b + 9 * vw); st(a.a5, b + 10 * vw); st(a.b5, b + 11 * vw)
                        x0 += 6
                    }
                }
            }
            var k = singleChannel && cw >= 6 ? pixels : 0
            while k < pixels {
                let px: Pixels6 = (pair + t[k], pair + t[min(k + 1, last)], pair + t[min(k + 2, last)],
                                   pair + t[min(k + 3, last)], pair + t[min(k + 4, last)], pair + t[min(k + 5, last)])
                let a = singleChannel ? conv3x3Ic1Tile6x2(px, down, wts, zero, zero)
                    : conv3x3Tile6x2(px, wts, segs, segCount, zero, zero)
                // The buffer has room for whole tiles only up to `pixels`; clamp like the pointers.
                let b = buf + k * 2 * vw
                st(a.a0, b); st(a.b0, b + vw)
                if k + 1 <= last { st(a.a1, b + 2 * vw); st(a.b1, b + 3 * vw) }
                if k + 2 <= last { st(a.a2, b + 4 * vw); st(a.b2, b + 5 * vw) }
                if k + 3 <= last { st(a.a3, b + 6 * vw); st(a.b3, b + 7 * vw) }
                if k + 4 <= last { st(a.a4, b + 8 * vw); st(a.b4, b + 9 * vw) }
                if k + 5 <= last { st(a.a5, b + 10 * vw); st(a.b5, b + 11 * vw) }
                k += 6
            }
            let out = outImg + y * outRowStride + lo
            for x in 0..<pw {
                let p00 = buf + 2 * x * 2 * vw, p01 = p00 + 2 * vw
                let p10 = p00 + cw * 2 * vw, p11 = p10 + 2 * vw
                let m0 = vmax(max4(ld(p00), ld(p01), ld(p10), ld(p11) as V) + bias0, zero)
                let o = out + x * outPixelStride
                storeLanes(m0, o, w0)
                if w1 > 0 {
                    let m1 = vmax(max4(ld(p00 + vw), ld(p01 + vw), ld(p10 + vw), ld(p11 + vw) as V) + bias1, zero)
                    storeLanes(m1, o + vw, w1)
                }
            }
        }
    }

    /// One vector of output channels: every kept pixel of the image with the 12-pixel tile
    /// into the L1-resident kept buffer (≤ 784 × 8 floats), then pooled.
    @inline(__always)
    private func pooledImage12x1<V: KernelVector>(_ blk: Block, _ img: UnsafePointer<Float>,
                                                  _ outImg: UnsafeMutablePointer<Float>, _ ph: Int, _ pw: Int,
                                                  _ outRowStride: Int, _ outPixelStride: Int, _: V.Type) {
        let vw = V.scalarCount
        let wts = UnsafePointer(blk.weights.assumingMemoryBound(to: V.self))
        let bias0 = UnsafeRawPointer(blk.bias).loadUnaligned(as: V.self)
        let zero = V(repeating: 0)
        let lo = blk.lo, width = blk.width
        let singleChannel = inStride == 1 && icCount == 1, down = rowStride
        let cw = 2 * pw, pixels = 2 * ph * cw, last = pixels - 1
        let t = keptTable, buf = keptBuffer
        var k = 0
        while k < pixels {
            @inline(__always) func at(_ i: Int) -> UnsafePointer<Float> { img + t[min(k + i, last)] }
            let px: Pixels12 = (at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7), at(8), at(9), at(10), at(11))
            let a: Acc12x1<V> = singleChannel ? conv3x3Ic1Tile12x1(px, down, wts)
                : conv3x3Tile12x1(px, wts, segs, segCount)
            let b = buf + k * vw
            let r = last - k // stores 0...r; the clamped rest repeats the last pixel
            st(a.a0, b)
            if r >= 1 { st(a.a1, b + vw) }
            if r >= 2 { st(a.a2, b + 2 * vw) }
            if r >= 3 { st(a.a3, b + 3 * vw) }
            if r >= 4 { st(a.a4, b + 4 * vw) }
            if r >= 5 { st(a.a5, b + 5 * vw) }
            if r >= 6 { st(a.a6, b + 6 * vw) }
            if r >= 7 { st(a.a7, b + 7 * vw) }
            if r >= 8 { st(a.a8, b + 8 * vw) }
            if r >= 9 { st(a.a9, b + 9 * vw) }
            if r >= 10 { st(a.a10, b + 10 * vw) }
            if r >= 11 { st(a.a11, b + 11 * vw) }
            k += 12
        }
        for y in 0..<ph {
            let r0 = buf + 2 * y * cw * vw, r1 = r0 + cw * vw
            let out = outImg + y * outRowStride + lo
            for x in 0..<pw {
                let m = vmax(max4(ld(r0 + 2 * x * vw), ld(r0 + (2 * x + 1) * vw),
                                  ld(r1 + 2 * x * vw), ld(r1 + (2 * x + 1) * vw) as V) + bias0, zero)
                storeLanes(m, out + x * outPixelStride, width)
            }
        }
    }
}
