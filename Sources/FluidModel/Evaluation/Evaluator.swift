import Dispatch

/// Accuracy of sub-networks on a labelled set, computed with the trainer's own forward pass
/// (the same kernels), two threads each taking every other chunk of images.
public enum Evaluator {
    /// Images per forward call.
    public static let chunk = 100

    /// Fraction of the first `limit` images (all by default) that `subnet` classifies right.
    public static func accuracy(of weights: CNNWeights, subnet: Subnet, on set: MNISTSet,
                                limit: Int? = nil) -> Double {
        accuracy(ofEnsemble: [weights], subnet: subnet, on: set, limit: limit)
    }

    /// Accuracy of an ensemble: `subnet` of every model, logits averaged (one model: plain).
    public static func accuracy(ofEnsemble models: [CNNWeights], subnet: Subnet, on set: MNISTSet,
                                limit: Int? = nil) -> Double {
        let count = min(limit ?? set.count, set.count)
        guard count > 0, !models.isEmpty else { return 0 }
        let w = models.map { $0.slice(subnet) }
        let passes = [SubnetPass(capacity: chunk), SubnetPass(capacity: chunk)]
        var correct = [0, 0]
        let chunks = (count + chunk - 1) / chunk
        let indices = Array(0..<count)
        indices.withUnsafeBufferPointer { ind in
            set.images.withUnsafeBufferPointer { img in set.labels.withUnsafeBufferPointer { lab in
                correct.withUnsafeMutableBufferPointer { cor in
                    let cor = cor.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: 2) { t in
                        var c = 0
                        for k in stride(from: t, to: chunks, by: 2) {
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
        return Double(correct[0] + correct[1]) / Double(count)
    }

    /// Accuracy of each named sub-network, keyed by name ("25", "50", … "u50").
    public static func accuracies(of weights: CNNWeights, subnets: [Subnet] = Subnet.all, on set: MNISTSet,
                                  limit: Int? = nil) -> [String: Double] {
        var out: [String: Double] = [:]
        for s in subnets { out[s.name] = accuracy(of: weights, subnet: s, on: set, limit: limit) }
        return out
    }
}
