import Foundation

/// Adam (Kingma & Ba) over the flat parameter vector, restricted to a trainable set.
///
/// Entries outside `trainable` are never read or written: frozen weights stay bit-exact
/// and masked (connectivity) blocks stay exactly zero. A new optimiser per training stage,
/// as a PyTorch recipe would create one per step of an incremental schedule.
public struct Adam: Sendable {
    package var beta1: Float = 0.9
    package var beta2: Float = 0.999
    package var epsilon: Float = 1e-8
    /// Indices of the trainable entries, ascending (fixed order: deterministic).
    package let indices: [Int]
    var m: [Float]
    var v: [Float]
    var t = 0

    package init(trainable: ParameterSet) {
        indices = trainable.mask.indices.filter { trainable.mask[$0] != 0 }
        m = [Float](repeating: 0, count: indices.count)
        v = [Float](repeating: 0, count: indices.count)
    }

    /// One update of `params` (flat) from `grad` (flat) with learning rate `lr`.
    public mutating func step(params: inout [Float], grad: [Float], lr: Float) {
        t += 1
        let c1 = 1 - Float(Double(beta1).power(t)), c2 = 1 - Float(Double(beta2).power(t))
        let stepSize = lr / c1
        let rc2 = 1 / c2
        for (j, k) in indices.enumerated() {
            let g = grad[k]
            m[j] = beta1 * m[j] + (1 - beta1) * g
            v[j] = beta2 * v[j] + (1 - beta2) * g * g
            params[k] -= stepSize * m[j] / ((v[j] * rc2).squareRoot() + epsilon)
        }
    }
}

extension Double {
    @inlinable func power(_ n: Int) -> Double {
        var r = 1.0, b = self, e = n
        while e > 0 { if e & 1 == 1 { r *= b }; b *= b; e >>= 1 }
        return r
    }
}

/// Learning rate over the steps of one stage.
package enum LRSchedule: Equatable, Sendable, CustomStringConvertible {
    /// PyTorch OneCycleLR (anneal cos): warm up from max/25 to max over `warmup` of the
    /// steps, then cosine down to max/(25·10⁴).
    case oneCycle(max: Float, warmup: Float)
    /// Cosine from `max` down to ~0.
    case cosine(max: Float)
    case constant(Float)

    package func rate(step: Int, of total: Int) -> Float {
        let p = total > 1 ? Float(step) / Float(total - 1) : 1
        func cosAnneal(_ from: Float, _ to: Float, _ x: Float) -> Float {
            to + (from - to) * (1 + Float(cos(Double.pi * Double(x)))) / 2
        }
        switch self {
        case .constant(let lr): return lr
        case .cosine(let mx): return cosAnneal(mx, mx * 1e-3, p)
        case .oneCycle(let mx, let warmup):
            let start = mx / 25, end = start / 1e4
            if p < warmup { return cosAnneal(start, mx, p / warmup) }
            return cosAnneal(mx, end, (p - warmup) / max(1 - warmup, 1e-6))
        }
    }

    public var description: String {
        switch self {
        case .oneCycle(let mx, let w): return "one-cycle(max \(mx), warmup \(w))"
        case .cosine(let mx): return "cosine(max \(mx))"
        case .constant(let lr): return "constant(\(lr))"
        }
    }
}
