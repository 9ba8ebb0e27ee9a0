import Dispatch
import Foundation

/// Accuracy of sub-networks on a labelled set, computed with the trainer's own forward pass
/// (the same kernels): one thread per core, each taking every T-th chunk of images. The
/// result is a count of right answers, so it does not depend on the number of threads.
public enum Evaluator {
    /// Images per forward call.
    package static let chunk = 100

    /// Fraction of the first `limit` images (all by default) that `subnet` classifies right.
    public static func accuracy(of weights: CNNWeights, subnet: Subnet, on set: MNISTSet,
                                limit: Int? = nil, threads: Int? = nil) -> Double {
        accuracy(ofEnsemble: [weights], subnet: subnet, on: set, limit: limit, threads: threads)
    }

    /// Accuracy of an ensemble: `subnet` of every model, logits averaged (one model: plain).
    /// `threads` nil: one per core.
    public static func accuracy(ofEnsemble models: [CNNWeights], subnet: Subnet, on set: MNISTSet,
                                limit: Int? = nil, threads: Int? = nil) -> Double {
        let count = min(limit ?? set.count, set.count)
        guard count > 0, !models.isEmpty else { return 0 }
        let w = models.map { $0.slice(subnet) }
        let chunks = (count + chunk - 1) / chunk
        let threads = max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, chunks))
        let passes = (0..<threads).map { _ in SubnetPass(capacity: chunk) }
        var correct = [Int](repeating: 0, count: threads)
        let indices = Array(0..<count)
        indices.withUnsafeBufferPointer { ind in
            set.images.withUnsafeBufferPointer { img in set.labels.withUnsafeBufferPointer { lab in
                correct.withUnsafeMutableBufferPointer { cor in
                    let cor = cor.baseAddress!
                    parallelFor(threads: threads) { t in
                        var c = 0
                        for k in stride(from: t, to: chunks, by: threads) {
                            let lo = k * chunk, n = min(chunk, count - lo)
                            passes[t].load(images: img.baseAddress!, labels: lab.baseAddress!,
                                           indices: UnsafeBufferPointer(rebasing: ind[lo..<(lo + n)]))
                            passes[t].forwardMean(w, n: n)
                            c += passes[t].countCorrect(n: n)
                        }
                        cor[t] = c
                    }
                }
            } }
        }
        return Double(correct.reduce(0, +)) / Double(count)
    }

    /// Accuracy of each named sub-network, keyed by name ("25", "50", … "u50").
    public static func accuracies(of weights: CNNWeights, subnets: [Subnet] = Subnet.all, on set: MNISTSet,
                                  limit: Int? = nil) -> [String: Double] {
        var out: [String: Double] = [:]
        for s in subnets { out[s.name] = accuracy(of: weights, subnet: s, on: set, limit: limit) }
        return out
    }
}
