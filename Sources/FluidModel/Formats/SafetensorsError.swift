/// A safetensors file could not be read or written; `description` names the file and the problem.
package typealias SafetensorsError = FileError<SafetensorsProblem>

/// One case per check of the safetensors format (reader and writer).
package enum SafetensorsProblem: FileProblem {
    case unreadable(String)
    case unwritable(String)
    /// Shorter than the 8-byte header length, or the data section ends before the tensors do.
    case truncated(size: Int, needed: Int)
    /// The 8-byte header length points past the end of the file.
    case headerLengthBeyondFile(headerLength: UInt64, fileSize: Int)
    /// The header is longer than the reference implementation accepts (100 MB).
    case headerTooLarge(UInt64)
    /// The header is not the JSON object the format prescribes (reason).
    case badJSON(String)
    /// A dtype name the format does not define.
    case unknownDType(tensor: String, dtype: String)
    /// A dtype the format defines but this loader does not use (only F32).
    case unsupportedDType(tensor: String, dtype: String)
    /// data_offsets span a different number of bytes than dtype × shape needs.
    case shapeOffsetMismatch(tensor: String, shape: [Int], dtype: String, bytes: Int, needed: Int)
    /// data_offsets reversed, or past the end of the data section.
    case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataSize: Int)
    /// Two tensors share bytes.
    case overlappingOffsets(String, String)
    /// Bytes of the data section belong to no tensor (a hole or trailing bytes).
    case uncoveredBytes(begin: Int, end: Int)
    /// A NaN or ±Inf value (kind is "NaN", "+Inf" or "-Inf").
    case nonFinite(tensor: String, index: Int, kind: String)
    /// The same tensor name twice (writer).
    case duplicateTensor(String)
    /// A tensor's data does not hold shape × dtype bytes (writer).
    case inconsistentTensor(String)
    /// Asked for a tensor the file does not have.
    case missingTensor(String)

    package var reason: String {
        switch self {
        case .unreadable(let why): return "cannot read file: \(why)"
        case .unwritable(let why): return "cannot write file: \(why)"
        case .truncated(let size, let needed):
            return "truncated file: \(size) bytes, needs \(needed)"
        case .headerLengthBeyondFile(let h, let size):
            return "header length \(h) is beyond the end of the file (\(size) bytes)"
        case .headerTooLarge(let h): return "header length \(h) exceeds the 100 MB limit"
        case .badJSON(let why): return "bad JSON header: \(why)"
        case .unknownDType(let t, let d): return "tensor '\(t)': unknown dtype '\(d)'"
        case .unsupportedDType(let t, let d): return "tensor '\(t)': unsupported dtype \(d) (expected F32)"
        case .shapeOffsetMismatch(let t, let s, let d, let b, let n):
            return "tensor '\(t)': shape \(s) of \(d) needs \(n) bytes but data_offsets span \(b)"
        case .offsetsOutOfRange(let t, let b, let e, let size):
            return "tensor '\(t)': data_offsets [\(b), \(e)] out of range (data section is \(size) bytes)"
        case .overlappingOffsets(let a, let b): return "tensors '\(a)' and '\(b)' have overlapping data_offsets"
        case .uncoveredBytes(let b, let e): return "data bytes [\(b), \(e)) belong to no tensor"
        case .nonFinite(let t, let i, let k): return "tensor '\(t)': \(k) value at index \(i)"
        case .duplicateTensor(let t): return "tensor '\(t)' appears twice"
        case .inconsistentTensor(let t): return "tensor '\(t)': data size does not match shape and dtype"
        case .missingTensor(let t): return "missing tensor '\(t)'"
        }
    }
}
