import XCTest
import FluidKernels

/// Deterministic pseudo-random floats (SplitMix64) so failures reproduce.
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
    mutating func floats(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in float() * scale }
    }
}

func assertClose(_ a: [Float], _ b: [Float], tol: Float = 1e-4, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, what, file: file, line: line)
    var worst: Float = 0, at = -1
    for i in 0..<min(a.count, b.count) {
        let err = abs(a[i] - b[i]) / max(1, abs(b[i]))
        if !(err <= worst) { worst = err; at = i }
    }
    XCTAssert(worst <= tol, "\(what): max rel error \(worst) at \(at) (\(at >= 0 ? a[at] : 0) vs \(at >= 0 ? b[at] : 0))",
              file: file, line: line)
}
