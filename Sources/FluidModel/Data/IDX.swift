import Foundation

/// An IDX file could not be used; `description` names the file and the problem.
package struct IDXError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, one case per check so that callers and tests can tell them apart.
    package enum Problem: Equatable, Sendable {
        /// None of the candidate file names exists (the names tried).
        case notFound([String])
        /// The OS refused to read it.
        case unreadable(String)
        /// gunzip failed (corrupt, truncated or oversized archive).
        case gzip(String)
        /// Fewer bytes than the 4-byte magic plus the dimension words.
        case truncatedHeader(size: Int)
        /// Magic word is not 0x0000_08_nn (ubyte) with the expected number of dimensions.
        case badMagic(found: UInt32, expected: UInt32)
        /// The data type byte is not 0x08 (unsigned byte).
        case unsupportedDType(UInt8)
        /// Image dimensions are not `CNN.imageSide` square (or not what the caller asked for).
        case wrongDimensions(found: [Int], expected: [Int])
        /// File length differs from header + product of dimensions.
        case wrongLength(found: Int, expected: Int)
        /// Images and labels disagree on the number of items.
        case countMismatch(images: Int, labels: Int)
        /// A label outside 0…9.
        case labelOutOfRange(index: Int, value: UInt8)
        /// SHA-256 of the raw bytes differs from the known MNIST digest.
        case checksumMismatch(found: String, expected: String)
    }

    package let path: String
    package let problem: Problem

    package init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .notFound(let names):
            return "\(path): no IDX file found (tried \(names.joined(separator: ", ")))"
        case .unreadable(let why): return "\(path): cannot read file: \(why)"
        case .gzip(let why): return "\(path): \(why)"
        case .truncatedHeader(let size):
            return "\(path): truncated IDX header (\(size) bytes)"
        case .badMagic(let f, let e):
            return "\(path): bad IDX magic 0x\(hex8(f)), expected 0x\(hex8(e))"
        case .unsupportedDType(let t):
            return "\(path): unsupported IDX data type 0x\(String(t, radix: 16)), expected 0x08 (unsigned byte)"
        case .wrongDimensions(let f, let e):
            return "\(path): dimensions \(f.map(String.init).joined(separator: "x")), expected \(e.map(String.init).joined(separator: "x"))"
        case .wrongLength(let f, let e):
            return "\(path): file is \(f) bytes, header says \(e) (truncated or trailing data)"
        case .countMismatch(let i, let l):
            return "\(path): \(l) labels for \(i) images"
        case .labelOutOfRange(let i, let v):
            return "\(path): label \(v) at index \(i) is not a digit 0…9"
        case .checksumMismatch(let f, let e):
            return "\(path): SHA-256 \(f) does not match the MNIST digest \(e) (corrupted or not MNIST)"
        }
    }
}

private func hex8(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 8 - s.count)) + s
}

/// An unsigned-byte IDX array: `dims` (outermost first) and `values`, row-major.
package struct IDXArray: Equatable, Sendable {
    package var dims: [Int]
    package var values: [UInt8]

    package init(dims: [Int], values: [UInt8]) {
        self.dims = dims
        self.values = values
    }
}

/// IDX (LeCun's MNIST container): magic 00 00 <dtype> <ndims>, ndims big-endian
/// UInt32 sizes, then the values. Only dtype 0x08 (unsigned byte) is used by MNIST.
public enum IDX {
    /// dtype byte of unsigned 8-bit values.
    package static let ubyte: UInt8 = 0x08
    /// Magic of a label file (1 dimension) and of an image file (3 dimensions).
    package static let labelsMagic: UInt32 = 0x0000_0801
    package static let imagesMagic: UInt32 = 0x0000_0803

    /// Reads a file's bytes, gunzipping when they start with the gzip magic
    /// (the name is not trusted: a `.gz` name on raw bytes still reads).
    package static func readBytes(path: String) throws -> [UInt8] {
        let raw: [UInt8]
        do {
            raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw IDXError(path: path, problem: .unreadable(error.localizedDescription))
        }
        guard Gzip.isGzip(raw) else { return raw }
        do {
            return try Gzip.decompress(raw)
        } catch {
            throw IDXError(path: path, problem: .gzip("\(error)"))
        }
    }

    /// Parses IDX bytes with `dimensionCount` dimensions; `path` only names the file in errors.
    /// Checks magic, dtype and that the length is exactly header + ∏ dims.
    package static func parse(_ bytes: [UInt8], dimensionCount: Int, path: String) throws -> IDXArray {
        let headerSize = 4 + 4 * dimensionCount
        guard bytes.count >= 4 else { throw IDXError(path: path, problem: .truncatedHeader(size: bytes.count)) }
        let magic = readBE32(bytes, at: 0)
        let expected = UInt32(ubyte) << 8 | UInt32(dimensionCount)
        if bytes[0] == 0, bytes[1] == 0, bytes[3] == UInt8(dimensionCount), bytes[2] != ubyte {
            throw IDXError(path: path, problem: .unsupportedDType(bytes[2]))
        }
        guard magic == expected else {
            throw IDXError(path: path, problem: .badMagic(found: magic, expected: expected))
        }
        guard bytes.count >= headerSize else {
            throw IDXError(path: path, problem: .truncatedHeader(size: bytes.count))
        }
        let dims = (0..<dimensionCount).map { Int(readBE32(bytes, at: 4 + 4 * $0)) }
        // Overflow-checked product: hostile headers may claim 2^32 × 2^32 items.
        var count = 1
        for d in dims {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw IDXError(path: path, problem: .wrongLength(found: bytes.count, expected: Int.max))
            }
            count = p
        }
        let (total, overflow) = headerSize.addingReportingOverflow(count)
        guard !overflow, bytes.count == total else {
            throw IDXError(path: path, problem: .wrongLength(found: bytes.count, expected: overflow ? Int.max : total))
        }
        return IDXArray(dims: dims, values: Array(bytes[headerSize...]))
    }

    /// Reads an image file: [N, rows, cols] unsigned bytes; checks rows × cols when given.
    package static func readImages(path: String, rows: Int? = CNN.imageSide, cols: Int? = CNN.imageSide) throws -> IDXArray {
        let a = try parse(readBytes(path: path), dimensionCount: 3, path: path)
        if let rows, let cols, a.dims[1] != rows || a.dims[2] != cols {
            throw IDXError(path: path, problem: .wrongDimensions(found: Array(a.dims[1...]), expected: [rows, cols]))
        }
        return a
    }

    /// Reads a label file: [N] unsigned bytes.
    package static func readLabels(path: String) throws -> IDXArray {
        try parse(readBytes(path: path), dimensionCount: 1, path: path)
    }

    /// Encodes an unsigned-byte IDX array (for tests and tools); the caller keeps
    /// `values.count == ∏ dims`.
    package static func encode(_ array: IDXArray) -> [UInt8] {
        var out: [UInt8] = [0, 0, ubyte, UInt8(truncatingIfNeeded: array.dims.count)]
        for d in array.dims {
            let v = UInt32(truncatingIfNeeded: d)
            out += [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        }
        out += array.values
        return out
    }

    private static func readBE32(_ b: [UInt8], at i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
}
