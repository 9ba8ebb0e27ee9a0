import Foundation

extension Safetensors {
    /// Parses and validates file bytes; `path` only names the file in errors.
    ///
    /// Checks, each with its own error: file shorter than 8 bytes, header length beyond the
    /// file, header over 100 MB, header not a JSON object of the right form, unknown dtype,
    /// data_offsets that disagree with shape × dtype, offsets reversed or past the data,
    /// a data section cut short, overlapping tensors, and bytes that belong to no tensor.
    package static func parse(_ bytes: [UInt8], path: String) throws -> Safetensors {
        func fail(_ p: SafetensorsError.Problem) -> SafetensorsError { SafetensorsError(path: path, problem: p) }

        guard bytes.count >= 8 else { throw fail(.truncated(size: bytes.count, needed: 8)) }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail(.headerLengthBeyondFile(headerLength: headerLength, fileSize: bytes.count))
        }
        guard headerLength <= maxHeaderLength else { throw fail(.headerTooLarge(headerLength)) }
        let dataStart = 8 + Int(headerLength)
        let header = Array(bytes[8..<dataStart])
        guard header.first == UInt8(ascii: "{") else {
            throw fail(.badJSON("header does not start with '{'"))
        }

        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(header))
        } catch {
            throw fail(.badJSON("not valid JSON (\(error.localizedDescription))"))
        }
        guard let entries = object as? [String: Any] else { throw fail(.badJSON("header is not a JSON object")) }

        var metadata: [String: String] = [:]
        if let meta = entries["__metadata__"] {
            guard let m = meta as? [String: Any] else { throw fail(.badJSON("__metadata__ is not an object")) }
            for (k, v) in m {
                guard let s = v as? String else { throw fail(.badJSON("__metadata__ value of '\(k)' is not a string")) }
                metadata[k] = s
            }
        }

        let dataSize = bytes.count - dataStart
        var layout: [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in entries where name != "__metadata__" {
            guard let e = value as? [String: Any] else { throw fail(.badJSON("entry '\(name)' is not an object")) }
            guard let dtype = e["dtype"] as? String else { throw fail(.badJSON("entry '\(name)' has no string dtype")) }
            guard let shapeAny = e["shape"] as? [Any], let shape = nonNegativeInts(shapeAny) else {
                throw fail(.badJSON("entry '\(name)' has no shape of non-negative integers"))
            }
            guard let offAny = e["data_offsets"] as? [Any], let off = nonNegativeInts(offAny), off.count == 2 else {
                throw fail(.badJSON("entry '\(name)' has no data_offsets [begin, end] of non-negative integers"))
            }
            guard let size = dtypeSizes[dtype] else { throw fail(.unknownDType(tensor: name, dtype: dtype)) }
            let (begin, end) = (off[0], off[1])
            guard begin <= end else {
                throw fail(.offsetsOutOfRange(tensor: name, begin: begin, end: end, dataSize: dataSize))
            }
            guard let needed = byteCount(shape: shape, elementSize: size), needed == end - begin else {
                throw fail(.shapeOffsetMismatch(tensor: name, shape: shape, dtype: dtype,
                                                bytes: end - begin, needed: byteCount(shape: shape, elementSize: size) ?? Int.max))
            }
            layout.append((name, dtype, shape, begin, end))
        }
        // Data order; ties (empty tensors) by name so the result never depends on hash order.
        layout.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }

        // Past the end: a contiguous layout that simply runs out of bytes is a cut-short file;
        // anything else is an offset that points nowhere.
        if let beyond = layout.first(where: { $0.end > dataSize }) {
            let contiguous = zip(layout, layout.dropFirst()).allSatisfy { $0.end == $1.begin } && layout.first?.begin == 0
            if contiguous {
                throw fail(.truncated(size: bytes.count, needed: dataStart + (layout.last?.end ?? 0)))
            }
            throw fail(.offsetsOutOfRange(tensor: beyond.name, begin: beyond.begin, end: beyond.end, dataSize: dataSize))
        }
        var covered = 0
        var previous: String?
        for t in layout where t.end > t.begin {
            if t.begin < covered, let previous { throw fail(.overlappingOffsets(previous, t.name)) }
            if t.begin > covered { throw fail(.uncoveredBytes(begin: covered, end: t.begin)) }
            covered = t.end
            previous = t.name
        }
        if covered < dataSize { throw fail(.uncoveredBytes(begin: covered, end: dataSize)) }

        let tensors = layout.map { t in
            (name: t.name, tensor: SafetensorsTensor(dtype: t.dtype, shape: t.shape,
                                                     data: Array(bytes[dataStart + t.begin ..< dataStart + t.end])))
        }
        return Safetensors(tensors: tensors, metadata: metadata)
    }

    /// ∏ shape × elementSize, nil on overflow (a hostile header may claim 2^63 elements).
    static func byteCount(shape: [Int], elementSize: Int) -> Int? {
        var n = elementSize
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }

    /// JSON numbers that are exact non-negative integers (not 1.5, not true).
    private static func nonNegativeInts(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber, !isBool(n) else { return nil }
            let d = n.doubleValue
            guard d >= 0, d == d.rounded(), d < 9.0e15 else { return nil }
            out.append(n.intValue)
        }
        return out
    }

    private static func isBool(_ n: NSNumber) -> Bool {
        #if canImport(Darwin)
        return CFGetTypeID(n) == CFBooleanGetTypeID()
        #else
        return String(cString: n.objCType) == "c" && (n === NSNumber(value: true) || n === NSNumber(value: false))
        #endif
    }
}
