/// f32 dense layer forward and backward, vectorised along the features F.
enum DenseKernels {
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ f: Int) -> Float {
        typealias V = FloatVector
        let vw = V.scalarCount
        var acc0 = V(repeating: 0), acc1 = V(repeating: 0)
        var i = 0
        while i + 2 * vw <= f {
            acc0.addProduct(ld(a + i), ld(b + i) as V)
            acc1.addProduct(ld(a + i + vw), ld(b + i + vw) as V)
            i += 2 * vw
        }
        if i + vw <= f { acc0.addProduct(ld(a + i), ld(b + i) as V); i += vw }
        var s = (acc0 + acc1).sum()
        while i < f { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// y[0..<f] += alpha · x[0..<f]
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ f: Int) {
        typealias V = FloatVector
        let vw = V.scalarCount
        let a = V(repeating: alpha)
        var i = 0
        while i + vw <= f {
            var v: V = ld(y + i)
            v.addProduct(a, ld(x + i))
            st(v, y + i)
            i += vw
        }
        while i < f { y[i] += alpha * x[i]; i += 1 }
    }

    /// input [N,F]; weight [O,F]; bias [O]; output [N,O]
    static func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>, n: Int, f: Int, o: Int) {
        for b in 0..<n {
            for j in 0..<o { output[b * o + j] = bias[j] + dot(input + b * f, weight + j * f, f) }
        }
    }

    /// dWeight [O,F] += ; dBias [O] += ; dInput [N,F] = unless nil
    static func backward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                         dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
                         dInput: UnsafeMutablePointer<Float>?, n: Int, f: Int, o: Int) {
        for b in 0..<n {
            for j in 0..<o {
                let g = dOutput[b * o + j]
                dBias[j] += g
                axpy(g, input + b * f, dWeight + j * f, f)
            }
        }
        guard let dInput else { return }
        for b in 0..<n {
            let row = dInput + b * f
            row.update(repeating: 0, count: f)
            for j in 0..<o { axpy(dOutput[b * o + j], weight + j * f, row, f) }
        }
    }
}
