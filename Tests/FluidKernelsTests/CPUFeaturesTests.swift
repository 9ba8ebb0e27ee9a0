import XCTest
import FluidKernels

final class CPUFeaturesTests: XCTestCase {
    /// The tests run, so the CPU runs the kernels: the check must agree.
    func testThisMachineIsSupported() {
        XCTAssertNil(CPUFeatures.checkSupported())
    }

    #if os(Linux)
    func testReadsFlagsAndNamesWhatIsMissing() throws {
        let path = "/tmp/fluid-cpuinfo-\(getpid())"
        let text = "processor\t: 0\nflags\t\t: fpu sse sse2 avx\n"
        XCTAssertTrue(FileManagerless.write(text, to: path))
        defer { unlink(path) }
        let flags = try XCTUnwrap(CPUFeatures.cpuFlags(path: path))
        XCTAssertTrue(flags.contains("avx"))
        XCTAssertFalse(flags.contains("avx2"))
        XCTAssertNil(CPUFeatures.cpuFlags(path: "/nonexistent/cpuinfo"))
        #if arch(x86_64)
        XCTAssertTrue(try XCTUnwrap(CPUFeatures.cpuFlags()).isSuperset(of: CPUFeatures.requiredFlags))
        #endif
    }
    #endif
}

#if os(Linux)
import Glibc
enum FileManagerless {
    static func write(_ s: String, to path: String) -> Bool {
        guard let f = fopen(path, "w") else { return false }
        defer { fclose(f) }
        return fputs(s, f) >= 0
    }
}
#endif
