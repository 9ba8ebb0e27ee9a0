#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Refuses to run on a CPU that lacks what the kernels were compiled for (docs/model.md).
///
/// On x86_64 the kernels are built with `-target-cpu haswell` (Package.swift), so every
/// 256-bit FMA is emitted unconditionally and a CPU without AVX2 + FMA would die of
/// SIGILL somewhere in a forward pass. Pure Swift has no cpuid, so on Linux the kernel's
/// view of the CPU (/proc/cpuinfo `flags`) is read instead; elsewhere nothing is checked.
public enum CPUFeatures {
    /// Instruction-set flags the x86_64 build requires.
    package static let requiredFlags = ["avx2", "fma"]

    /// nil if this CPU can run the kernels (or cannot be checked), else a message for the user.
    public static func checkSupported() -> String? {
        #if arch(x86_64) && os(Linux)
        guard let flags = cpuFlags() else { return nil }
        let missing = requiredFlags.filter { !flags.contains($0) }
        guard !missing.isEmpty else { return nil }
        return "this fluid binary was built for x86-64 CPUs with AVX2 and FMA (-target-cpu haswell), "
            + "but this CPU lacks \(missing.joined(separator: ", ")) (from /proc/cpuinfo). "
            + "Rebuild without '-target-cpu haswell' in Package.swift to run here."
        #else
        return nil
        #endif
    }

    /// The `flags` of the first processor in /proc/cpuinfo, or nil if it cannot be read.
    package static func cpuFlags(path: String = "/proc/cpuinfo") -> Set<String>? {
        #if os(Linux)
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            guard let line else { break }
            let text = String(cString: line)
            guard text.hasPrefix("flags") || text.hasPrefix("Features") else { continue }
            guard let colon = text.firstIndex(of: ":") else { continue }
            return Set(text[text.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
                .map(String.init))
        }
        return nil
        #else
        return nil
        #endif
    }
}
