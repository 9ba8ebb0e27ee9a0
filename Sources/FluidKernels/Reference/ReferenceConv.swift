/// Plain scalar twins of the convolution kernels: the specification the fast kernels are
/// tested against. Readable first; speed does not matter here.
extension Reference {
    /// input [N,H,W,IC]; weight [OC,IC,3,3]; bias [OC]; output [N,H,W,OC]; stride 1, pad 1; ReLU if relu
    package static func conv3x3Forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                      bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                      n: Int, h: Int, w: Int, ic: Int, oc: Int, relu: Bool) {
        for b in 0..<n {
            for y in 0..<h {
                for x in 0..<w {
                    let out = output + ((b * h + y) * w + x) * oc
                    for o in 0..<oc {
                        var acc = bias[o]
                        for ky in 0..<3 {
                            let iy = y + ky - 1
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<3 {
                                let ix = x + kx - 1
                                if ix < 0 || ix >= w { continue }
                                let inp = input + ((b * h + iy) * w + ix) * ic
                                for i in 0..<ic {
                                    acc += inp[i] * weight[((o * ic + i) * 3 + ky) * 3 + kx]
                                }
                            }
                        }
                        out[o] = relu ? max(acc, 0) : acc
                    }
                }
            }
        }
    }

    /// ACCUMULATES: dWeight [OC,IC,3,3] +=, dBias [OC] += ; input [N,H,W,IC]; dOutput [N,H,W,OC]
    package static func conv3x3BackwardWeights(input: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                                              dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
                                              n: Int, h: Int, w: Int, ic: Int, oc: Int) {
        for b in 0..<n {
            for y in 0..<h {
                for x in 0..<w {
                    let dOut = dOutput + ((b * h + y) * w + x) * oc
                    for o in 0..<oc {
                        let g = dOut[o]
                        dBias[o] += g
                        for ky in 0..<3 {
                            let iy = y + ky - 1
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<3 {
                                let ix = x + kx - 1
                                if ix < 0 || ix >= w { continue }
                                let inp = input + ((b * h + iy) * w + ix) * ic
                                for i in 0..<ic {
                                    dWeight[((o * ic + i) * 3 + ky) * 3 + kx] += g * inp[i]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// OVERWRITES dInput [N,H,W,IC] with the gradient wrt input
    package static func conv3x3BackwardData(dOutput: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                           dInput: UnsafeMutablePointer<Float>,
                                           n: Int, h: Int, w: Int, ic: Int, oc: Int) {
        dInput.update(repeating: 0, count: n * h * w * ic)
        for b in 0..<n {
            for y in 0..<h {
                for x in 0..<w {
                    let dOut = dOutput + ((b * h + y) * w + x) * oc
                    for ky in 0..<3 {
                        let iy = y + ky - 1
                        if iy < 0 || iy >= h { continue }
                        for kx in 0..<3 {
                            let ix = x + kx - 1
                            if ix < 0 || ix >= w { continue }
                            let dIn = dInput + ((b * h + iy) * w + ix) * ic
                            for o in 0..<oc {
                                let g = dOut[o]
                                for i in 0..<ic {
                                    dIn[i] += g * weight[((o * ic + i) * 3 + ky) * 3 + kx]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// gradient[i] = 0 where output[i] <= 0
    package static func reluBackward(output: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where output[i] <= 0 { gradient[i] = 0 }
    }
}
