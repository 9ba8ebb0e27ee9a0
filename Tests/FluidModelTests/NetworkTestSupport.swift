import FluidModel
import Foundation
import XCTest

/// Helpers of the Network/Training/Eval tests (one namespace so names never clash).
enum NetFixtures {
    /// Random weights with every entry non-zero, deterministic for a seed.
    static func randomWeights(seed: UInt64, scale: Float = 0.3) -> CNNWeights {
        var rng = SplitMix64(seed: seed)
        let flat = (0..<CNNWeights.parameterCount).map { _ in
            let v = rng.symmetric() * scale
            return v == 0 ? scale / 2 : v
        }
        return CNNWeights(flattened: flat)!
    }

    /// Random images [n · imagePixels], deterministic.
    static func randomImages(_ n: Int, seed: UInt64) -> MNISTSet {
        var rng = SplitMix64(seed: seed)
        let images = (0..<(n * CNN.imagePixels)).map { _ in UInt8(truncatingIfNeeded: rng.below(256)) }
        let labels = (0..<n).map { _ in UInt8(rng.below(CNN.classes)) }
        return MNISTSet(images: images, labels: labels)
    }

    /// Logits [n,10] of `subnet` on the first n images of `set`.
    static func logits(_ w: CNNWeights, _ subnet: Subnet, _ set: MNISTSet, n: Int) -> [Float] {
        let pass = SubnetPass(capacity: n)
        let idx = Array(0..<n)
        set.images.withUnsafeBufferPointer { img in set.labels.withUnsafeBufferPointer { lab in
            idx.withUnsafeBufferPointer { pass.load(images: img.baseAddress!, labels: lab.baseAddress!, indices: $0) }
        } }
        pass.forward(w.slice(subnet), n: n)
        return Array(UnsafeBufferPointer(start: pass.logits, count: n * CNN.classes))
    }

    /// The repository root (tests live in Tests/FluidModelTests).
    static var repoRoot: String {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// The MNIST folder, or nil when the data is not there (the test then skips).
    static var mnistDirectory: String? {
        MNIST.defaultDirectory(currentDirectory: repoRoot) ?? MNIST.defaultDirectory()
    }

    static func loadMNIST(_ split: MNIST.Split) throws -> MNISTSet {
        guard let dir = mnistDirectory else {
            throw XCTSkip("MNIST not found: run `make data` or set MNIST_DIR")
        }
        return try MNIST.load(directory: dir, split: split)
    }
}
