#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain scalar twins of pooling, dense, loss and argmax.
extension Reference {
    /// input [N,H,W,C] -> output [N,H/2,W/2,C], floor (7 -> 3)
    package static func maxPool2x2Forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                         n: Int, h: Int, w: Int, c: Int) {
        let oh = h / 2, ow = w / 2
        for b in 0..<n {
            for y in 0..<oh {
                for x in 0..<ow {
                    for ch in 0..<c {
                        var m = -Float.infinity
                        for dy in 0..<2 {
                            for dx in 0..<2 {
                                m = max(m, input[((b * h + 2 * y + dy) * w + 2 * x + dx) * c + ch])
                            }
                        }
                        output[((b * oh + y) * ow + x) * c + ch] = m
                    }
                }
            }
        }
    }

    /// OVERWRITES dInput [N,H,W,C]: each dOutput goes to the first max of its window (row-major), 0 elsewhere (and in floor-dropped rows/cols)
    package static func maxPool2x2Backward(input: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                                          dInput: UnsafeMutablePointer<Float>, n: Int, h: Int, w: Int, c: Int) {
        dInput.update(repeating: 0, count: n * h * w * c)
        let oh = h / 2, ow = w / 2
        for b in 0..<n {
            for y in 0..<oh {
                for x in 0..<ow {
                    for ch in 0..<c {
                        var best = ((b * h + 2 * y) * w + 2 * x) * c + ch
                        for dy in 0..<2 {
                            for dx in 0..<2 {
                                let i = ((b * h + 2 * y + dy) * w + 2 * x + dx) * c + ch
                                if input[i] > input[best] { best = i }
                            }
                        }
                        dInput[best] = dOutput[((b * oh + y) * ow + x) * c + ch]
                    }
                }
            }
        }
    }

    /// input [N,F]; weight [O,F]; bias [O]; output [N,O]
    package static func denseForward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                    bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                    n: Int, f: Int, o: Int) {
        for b in 0..<n {
            for j in 0..<o {
                var acc = bias[j]
                for i in 0..<f { acc += input[b * f + i] * weight[j * f + i] }
                output[b * o + j] = acc
            }
        }
    }

    /// ACCUMULATES dWeight [O,F] += and dBias [O] += ; OVERWRITES dInput [N,F] unless nil
    package static func denseBackward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                     dOutput: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                                     dBias: UnsafeMutablePointer<Float>, dInput: UnsafeMutablePointer<Float>?,
                                     n: Int, f: Int, o: Int) {
        for b in 0..<n {
            for j in 0..<o {
                let g = dOutput[b * o + j]
                dBias[j] += g
                for i in 0..<f { dWeight[j * f + i] += g * input[b * f + i] }
            }
        }
        guard let dInput else { return }
        for b in 0..<n {
            for i in 0..<f {
                var acc: Float = 0
                for j in 0..<o { acc += dOutput[b * o + j] * weight[j * f + i] }
                dInput[b * f + i] = acc
            }
        }
    }

    /// logits [N,O]; labels [N]; returns the mean loss; OVERWRITES dLogits [N,O] = (softmax - onehot) / N
    ///
    /// A label outside 0..<O contributes no one-hot term (callers validate labels on load).
    package static func softmaxCrossEntropy(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                           dLogits: UnsafeMutablePointer<Float>, n: Int, o: Int) -> Float {
        guard n > 0 else { return 0 }
        var total: Double = 0
        let scale = 1 / Float(n)
        for b in 0..<n {
            let row = logits + b * o
            var m = -Float.infinity
            for j in 0..<o { m = max(m, row[j]) }
            var sum: Float = 0
            for j in 0..<o { sum += expf(row[j] - m) }
            let label = Int(labels[b])
            let logSum = m + logf(sum)
            if label >= 0 && label < o { total += Double(logSum - row[label]) }
            for j in 0..<o {
                let p = expf(row[j] - m) / sum
                dLogits[b * o + j] = (p - (j == label ? 1 : 0)) * scale
            }
        }
        return Float(total / Double(n))
    }

    /// index of the max of each row of [N,O] into out[N] (first max wins)
    package static func argmax(_ values: UnsafePointer<Float>, n: Int, o: Int, into out: UnsafeMutablePointer<Int32>) {
        for b in 0..<n {
            var best = 0
            for j in 1..<max(o, 1) where values[b * o + j] > values[b * o + best] { best = j }
            out[b] = Int32(best)
        }
    }
}
