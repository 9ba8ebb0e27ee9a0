import Foundation

/// One tensor of a safetensors file: dtype name, shape and raw little-endian bytes.
package struct SafetensorsTensor: Equatable, Sendable {
    package var dtype: String
    package var shape: [Int]
    package var data: [UInt8]

    package init(dtype: String, shape: [Int], data: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// An F32 tensor from values (stored little-endian whatever the host).
    package init(f32 values: [Float], shape: [Int]) {
        var bytes = [UInt8](repeating: 0, count: values.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() {
                raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
            }
        }
        self.init(dtype: "F32", shape: shape, data: bytes)
    }

    /// Element count, ∏ shape (1 for a scalar).
    package var elementCount: Int { shape.reduce(1, *) }

    /// The values as Float; refuses any dtype but F32 and any NaN or ±Inf.
    /// `name` and `path` only label errors.
    package func f32Values(name: String, path: String) throws -> [Float] {
        guard dtype == "F32" else {
            let problem: SafetensorsError.Problem = Safetensors.dtypeSizes[dtype] == nil
                ? .unknownDType(tensor: name, dtype: dtype) : .unsupportedDType(tensor: name, dtype: dtype)
            throw SafetensorsError(path: path, problem: problem)
        }
        guard data.count % 4 == 0 else {
            throw SafetensorsError(path: path, problem: .inconsistentTensor(name))
        }
        let values = data.withUnsafeBytes { raw in
            (0..<data.count / 4).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            let kind = values[i].isNaN ? "NaN" : (values[i] > 0 ? "+Inf" : "-Inf")
            throw SafetensorsError(path: path, problem: .nonFinite(tensor: name, index: i, kind: kind))
        }
        return values
    }
}

/// A safetensors file (https://huggingface.co/docs/safetensors): 8-byte little-endian
/// header length N, N bytes of JSON header, then the raw little-endian tensor data.
///
/// The reader validates the layout strictly (every byte of the data section belongs to
/// exactly one tensor, as the reference implementation demands); values are decoded and
/// checked for NaN/Inf only when asked for (`SafetensorsTensor.f32Values`).
package struct Safetensors: Equatable, Sendable {
    /// Tensors in data order (the order the writer lays them out).
    package var tensors: [(name: String, tensor: SafetensorsTensor)]
    /// The `__metadata__` string → string map.
    package var metadata: [String: String]

    package init(tensors: [(name: String, tensor: SafetensorsTensor)] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public static func == (a: Safetensors, b: Safetensors) -> Bool {
        a.metadata == b.metadata && a.tensors.count == b.tensors.count
            && zip(a.tensors, b.tensors).allSatisfy { $0.name == $1.name && $0.tensor == $1.tensor }
    }

    package subscript(name: String) -> SafetensorsTensor? {
        tensors.first { $0.name == name }?.tensor
    }

    /// Bytes per element of every dtype the format defines (sub-byte F4/F6 types are not listed
    /// and read as unknown).
    package static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4,
        "I64": 8, "U64": 8, "F64": 8,
    ]

    /// Header size limit of the reference implementation.
    package static let maxHeaderLength: UInt64 = 100_000_000

    /// Reads and validates a file.
    package static func read(path: String) throws -> Safetensors {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SafetensorsError(path: path, problem: .unreadable(error.localizedDescription))
        }
        return try parse(bytes, path: path)
    }

    /// Writes the file atomically (temp file + rename, so a crash never leaves half a file).
    package func write(path: String) throws {
        let bytes = try encode(path: path)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SafetensorsError(path: path, problem: .unwritable(error.localizedDescription))
        }
    }
}
