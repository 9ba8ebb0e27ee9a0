/// f32 2×2 max-pool (stride 2, floor) and ReLU backward, vectorised over channels.
enum PoolKernels {
    /// input [N,H,W,C] -> output [N,H/2,W/2,C]
    static func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, n: Int, h: Int, w: Int, c: Int) {
        typealias V = FloatVector
        let vw = V.scalarCount, oh = h / 2, ow = w / 2
        let whole = c - c % vw
        for b in 0..<n {
            for y in 0..<oh {
                for x in 0..<ow {
                    let p00 = input + ((b * h + 2 * y) * w + 2 * x) * c
                    let p01 = p00 + c, p10 = p00 + w * c, p11 = p10 + c
                    let out = output + ((b * oh + y) * ow + x) * c
                    var ch = 0
                    while ch < whole {
                        let m = max4(ld(p00 + ch) as V, ld(p01 + ch), ld(p10 + ch), ld(p11 + ch))
                        UnsafeMutableRawPointer(out + ch).storeBytes(of: m, as: V.self)
                        ch += vw
                    }
                    if c - ch >= 4 {
                        let m = max4(ld(p00 + ch) as FloatHalfVector, ld(p01 + ch), ld(p10 + ch), ld(p11 + ch))
                        UnsafeMutableRawPointer(out + ch).storeBytes(of: m, as: FloatHalfVector.self)
                        ch += 4
                    }
                    while ch < c {
                        out[ch] = max(max(p00[ch], p01[ch]), max(p10[ch], p11[ch]))
                        ch += 1
                    }
                }
            }
        }
    }

    /// OVERWRITES dInput [N,H,W,C]: dOutput to the first max (row-major) of each window.
    static func backward(input: UnsafePointer<Float>, dOutput: UnsafePointer<Float>, dInput: UnsafeMutablePointer<Float>,
                         n: Int, h: Int, w: Int, c: Int) {
        typealias V = FloatVector
        let vw = V.scalarCount, oh = h / 2, ow = w / 2
        let whole = c - c % vw
        if h % 2 != 0 || w % 2 != 0 { dInput.update(repeating: 0, count: n * h * w * c) }
        for b in 0..<n {
            for y in 0..<oh {
                for x in 0..<ow {
                    let o00 = ((b * h + 2 * y) * w + 2 * x) * c
                    let o01 = o00 + c, o10 = o00 + w * c, o11 = o10 + c
                    let g = dOutput + ((b * oh + y) * ow + x) * c
                    var ch = 0
                    while ch < whole {
                        windowBackward(V.self, input, g, dInput, o00, o01, o10, o11, ch)
                        ch += vw
                    }
                    if c - ch >= 4 {
                        windowBackward(FloatHalfVector.self, input, g, dInput, o00, o01, o10, o11, ch)
                        ch += 4
                    }
                    while ch < c {
                        let v00 = input[o00 + ch], v01 = input[o01 + ch], v10 = input[o10 + ch], v11 = input[o11 + ch]
                        var best = o00, m = v00
                        if v01 > m { best = o01; m = v01 }
                        if v10 > m { best = o10; m = v10 }
                        if v11 > m { best = o11 }
                        dInput[o00 + ch] = 0; dInput[o01 + ch] = 0; dInput[o10 + ch] = 0; dInput[o11 + ch] = 0
                        dInput[best + ch] = g[ch]
                        ch += 1
                    }
                }
            }
        }
    }

    /// One window's channels ch..<ch+8: dOutput to the first max (row-major), 0 elsewhere.
    /// Written for the concrete vector types (twice, below): on a generic `V` the mask
    /// operations stay lane-by-lane calls (measured: pool backward took 54 % of a step).
    @inline(__always)
    static func windowBackward(_: FloatVector.Type, _ input: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                               _ dInput: UnsafeMutablePointer<Float>,
                               _ o00: Int, _ o01: Int, _ o10: Int, _ o11: Int, _ ch: Int) {
        typealias V = FloatVector
        let v00: V = ld(input + o00 + ch), v01: V = ld(input + o01 + ch)
        let v10: V = ld(input + o10 + ch), v11: V = ld(input + o11 + ch)
        let m = max4(v00, v01, v10, v11)
        let gv: V = ld(g + ch)
        let zero = V(repeating: 0)
        // First max wins: each later position takes the gradient only if no earlier one did.
        let t00 = v00 .== m
        let t01 = (v01 .== m) .& .!t00
        let t10 = (v10 .== m) .& .!(t00 .| t01)
        let t11 = .!(t00 .| t01 .| t10)
        st(zero.replacing(with: gv, where: t00), dInput + o00 + ch)
        st(zero.replacing(with: gv, where: t01), dInput + o01 + ch)
        st(zero.replacing(with: gv, where: t10), dInput + o10 + ch)
        st(zero.replacing(with: gv, where: t11), dInput + o11 + ch)
    }

    /// The same for 4 channels.
    @inline(__always)
    static func windowBackward(_: FloatHalfVector.Type, _ input: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                               _ dInput: UnsafeMutablePointer<Float>,
                               _ o00: Int, _ o01: Int, _ o10: Int, _ o11: Int, _ ch: Int) {
        typealias V = FloatHalfVector
        let v00: V = ld(input + o00 + ch), v01: V = ld(input + o01 + ch)
        let v10: V = ld(input + o10 + ch), v11: V = ld(input + o11 + ch)
        let m = max4(v00, v01, v10, v11)
        let gv: V = ld(g + ch)
        let zero = V(repeating: 0)
        // First max wins: each later position takes the gradient only if no earlier one did.
        let t00 = v00 .== m
        let t01 = (v01 .== m) .& .!t00
        let t10 = (v10 .== m) .& .!(t00 .| t01)
        let t11 = .!(t00 .| t01 .| t10)
        st(zero.replacing(with: gv, where: t00), dInput + o00 + ch)
        st(zero.replacing(with: gv, where: t01), dInput + o01 + ch)
        st(zero.replacing(with: gv, where: t10), dInput + o10 + ch)
        st(zero.replacing(with: gv, where: t11), dInput + o11 + ch)
    }

    /// gradient[i] = 0 where output[i] <= 0
    static func reluBackward(output: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = FloatVector
        let vw = V.scalarCount
        let zero = V(repeating: 0)
        var i = 0
        while i + vw <= count {
            let o: V = ld(output + i)
            let g: V = ld(gradient + i)
            st(g.replacing(with: zero, where: o .<= zero), gradient + i)
            i += vw
        }
        while i < count {
            if output[i] <= 0 { gradient[i] = 0 }
            i += 1
        }
    }
}

@inline(__always)
func ld<V: KernelVector>(_ p: UnsafePointer<Float>) -> V {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
}

@inline(__always)
func ld<V: KernelVector>(_ p: UnsafeMutablePointer<Float>) -> V {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
}

@inline(__always)
func st<V: KernelVector>(_ v: V, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
}
