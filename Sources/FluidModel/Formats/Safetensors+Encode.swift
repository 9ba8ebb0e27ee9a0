import FluidLog
import Foundation

extension Safetensors {
    /// The file bytes: tensors laid out in `tensors` order, header JSON with `__metadata__`
    /// first (keys sorted) and then the tensors in data order, padded with spaces to a multiple
    /// of 8 bytes as the reference implementation does, so that the data section is aligned.
    /// The same value always encodes to the same bytes. `path` only names the file in errors.
    public func encode(path: String = "<memory>") throws -> [UInt8] {
        func fail(_ p: SafetensorsError.Problem) -> SafetensorsError { SafetensorsError(path: path, problem: p) }

        var seen = Set<String>()
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(Self.jsonString($0)):\(Self.jsonString(metadata[$0] ?? ""))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, t) in tensors {
            guard name != "__metadata__", seen.insert(name).inserted else { throw fail(.duplicateTensor(name)) }
            guard let size = Self.dtypeSizes[t.dtype] else { throw fail(.unknownDType(tensor: name, dtype: t.dtype)) }
            guard t.shape.allSatisfy({ $0 >= 0 }),
                  Self.byteCount(shape: t.shape, elementSize: size) == t.data.count else {
                throw fail(.inconsistentTensor(name))
            }
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(Self.jsonString(name)):{\"dtype\":\(Self.jsonString(t.dtype)),\"shape\":[\(shape)],"
                          + "\"data_offsets\":[\(offset),\(offset + t.data.count)]}")
            offset += t.data.count
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out += $0 }
        out += header
        for (_, t) in tensors { out += t.data }
        return out
    }

    /// A JSON string literal for `s` (quotes, backslashes and control characters escaped),
    /// as the session log writes its strings.
    static func jsonString(_ s: String) -> String { JSONValue.string(s).serialized() }
}
