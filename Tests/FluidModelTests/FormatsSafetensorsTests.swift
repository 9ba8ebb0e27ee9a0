import FluidModel
import Foundation
import XCTest

/// Safetensors reader/writer: round trip, determinism, and one distinct error per malformed case.
final class FormatsSafetensorsTests: XCTestCase {
    private let sample = Safetensors(
        tensors: [
            (name: "w", tensor: SafetensorsTensor(f32: [1, -2.5, 3e-8, 0, 7, 8], shape: [2, 3])),
            (name: "b", tensor: SafetensorsTensor(f32: [0.5, -0.25], shape: [2])),
            (name: "ids", tensor: SafetensorsTensor(dtype: "I64", shape: [1], data: [42, 0, 0, 0, 0, 0, 0, 0])),
        ],
        metadata: ["kind": "fluid", "note": "quote \" backslash \\ newline \n ünïcode"])

    func testRoundTripWithMetadata() throws {
        let dir = try makeTempDirectory(self)
        let path = dir + "/x.safetensors"
        try sample.write(path: path)
        let back = try Safetensors.read(path: path)
        XCTAssertEqual(back, sample)
        XCTAssertEqual(back.metadata["note"], sample.metadata["note"])
        XCTAssertEqual(try back["w"]?.f32Values(name: "w", path: path), [1, -2.5, 3e-8, 0, 7, 8])
        XCTAssertEqual(back.tensors.map(\.name), ["w", "b", "ids"], "data order is kept")
    }

    func testWriterIsDeterministicAndAligned() throws {
        let a = try sample.encode()
        let b = try Safetensors(tensors: sample.tensors, metadata: Dictionary(uniqueKeysWithValues: sample.metadata.reversed())).encode()
        XCTAssertEqual(a, b)
        let n = a.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        XCTAssertEqual(n % 8, 0, "header padded to 8 bytes")
        let header = String(decoding: a[8..<8 + n], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{\"__metadata__\":{\"kind\":\"fluid\""), header)
        XCTAssertTrue(header.contains("\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"), header)
        XCTAssertEqual(a.count, 8 + n + 24 + 8 + 8)
        // Little-endian float bytes: -2.5 = 0xC0200000.
        XCTAssertEqual(Array(a[8 + n + 4 ..< 8 + n + 8]), [0x00, 0x00, 0x20, 0xC0])
    }

    /// The header JSON is parsed by Foundation, so key order and whitespace of other writers are fine.
    func testReadsForeignHeaderLayout() throws {
        let json = #"{ "b" : {"data_offsets":[4,8],"shape":[1],"dtype":"F32"}, "a":{"dtype":"F32","shape":[],"data_offsets":[0,4]} }"#
        let bytes = Self.file(json, data: [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40])
        let st = try Safetensors.parse(bytes, path: "foreign.safetensors")
        XCTAssertEqual(st.tensors.map(\.name), ["a", "b"])
        XCTAssertEqual(try st["a"]?.f32Values(name: "a", path: ""), [1])
        XCTAssertEqual(try st["b"]?.f32Values(name: "b", path: ""), [2])
        XCTAssertEqual(st.metadata, [:])
    }

    /// Bytes written by the reference implementation (Python `safetensors` 0.8.0,
    /// `save({"w": float32 [[1,-2.5,3e-8],[0,7,8]], "b": float32 [0.5,-0.25]}, metadata={"kind":"fluid","note":"x"})`).
    /// It orders tensors by name within a dtype, so given that order our writer must match byte for byte.
    private static let referenceFile = Array(Data(base64Encoded:
        "oAAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJraW5kIjoiZmx1aWQiLCJub3RlIjoieCJ9LCJiIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyXSwiZGF0YV9v"
        + "ZmZzZXRzIjpbMCw4XX0sInciOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzIsM10sImRhdGFfb2Zmc2V0cyI6WzgsMzJdfX0gICAgICAgAAAAPwAAgL4AAIA/"
        + "AAAgwFnZADMAAAAAAADgQAAAAEE=")!)

    func testMatchesReferenceImplementationByteForByte() throws {
        let ours = Safetensors(tensors: [(name: "b", tensor: SafetensorsTensor(f32: [0.5, -0.25], shape: [2])),
                                         (name: "w", tensor: SafetensorsTensor(f32: [1, -2.5, 3e-8, 0, 7, 8], shape: [2, 3]))],
                               metadata: ["kind": "fluid", "note": "x"])
        XCTAssertEqual(try ours.encode(), Self.referenceFile)
        XCTAssertEqual(try Safetensors.parse(Self.referenceFile, path: "reference"), ours)
    }

    // MARK: malformed files

    /// A file with this header JSON (unpadded) and data.
    static func file(_ json: String, data: [UInt8]) -> [UInt8] {
        let h = Array(json.utf8)
        return withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) } + h + data
    }

    private func assertRefused(_ bytes: [UInt8], _ expected: SafetensorsError.Problem,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try makeTempDirectory(self)
        let path = dir + "/bad.safetensors"
        try writeFile(bytes, path)
        XCTAssertThrowsError(try Safetensors.read(path: path), file: file, line: line) { error in
            guard let e = error as? SafetensorsError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(e.problem, expected, file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix(path + ": "), "names the file: \(e)", file: file, line: line)
        }
    }

    private let eightBytes: [UInt8] = [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]

    func testTruncatedFile() throws {
        try assertRefused([1, 0, 0], .truncated(size: 3, needed: 8))
        let good = try sample.encode()
        try assertRefused(Array(good.dropLast(3)), .truncated(size: good.count - 3, needed: good.count))
    }

    func testHeaderLengthBeyondFile() throws {
        var b = Self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: eightBytes)
        b[0] = 0xff; b[1] = 0xff
        try assertRefused(b, .headerLengthBeyondFile(headerLength: 0xffff, fileSize: b.count))
        b.replaceSubrange(0..<8, with: [UInt8](repeating: 0xff, count: 8))
        try assertRefused(b, .headerLengthBeyondFile(headerLength: UInt64.max, fileSize: b.count))
    }

    func testBadJSON() throws {
        let dir = try makeTempDirectory(self)
        let path = dir + "/bad.safetensors"
        try writeFile(Self.file(#"{"a":{"dtype":"F32","#, data: []), path)
        XCTAssertThrowsError(try Safetensors.read(path: path)) { error in
            guard case .badJSON(let why)? = (error as? SafetensorsError)?.problem else { return XCTFail("\(error)") }
            XCTAssertTrue(why.hasPrefix("not valid JSON"), why)
            XCTAssertTrue("\(error)".hasPrefix(path + ": bad JSON header"), "\(error)")
        }
    }

    func testBadJSONVariants() throws {
        let cases: [String] = [
            #"["a"]"#,                                                             // not an object
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#,              // one offset
            #"{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#,          // fractional dim
            #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,           // negative dim
            #"{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,8]}}"#,         // bool dim
            #"{"a":{"shape":[2],"data_offsets":[0,8]}}"#,                          // no dtype
            #"{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, // non-string metadata
        ]
        for json in cases {
            XCTAssertThrowsError(try Safetensors.parse(Self.file(json, data: eightBytes), path: "p")) { error in
                guard case .badJSON? = (error as? SafetensorsError)?.problem else { return XCTFail("\(json): \(error)") }
            }
        }
    }

    func testUnknownDType() throws {
        try assertRefused(Self.file(#"{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}"#, data: eightBytes),
                          .unknownDType(tensor: "a", dtype: "F33"))
    }

    func testShapeOffsetMismatch() throws {
        try assertRefused(Self.file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eightBytes),
                          .shapeOffsetMismatch(tensor: "a", shape: [3], dtype: "F32", bytes: 8, needed: 12))
    }

    func testOverlappingOffsets() throws {
        let json = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        try assertRefused(Self.file(json, data: eightBytes), .overlappingOffsets("a", "b"))
    }

    func testOutOfRangeOffsets() throws {
        let json = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[400,404]}}"#
        try assertRefused(Self.file(json, data: eightBytes), .offsetsOutOfRange(tensor: "b", begin: 400, end: 404, dataSize: 8))
        let reversed = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#
        try assertRefused(Self.file(reversed, data: eightBytes), .offsetsOutOfRange(tensor: "a", begin: 8, end: 0, dataSize: 8))
    }

    func testUncoveredBytes() throws {
        let hole = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        try assertRefused(Self.file(hole, data: eightBytes), .uncoveredBytes(begin: 0, end: 4))
        let trailing = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        try assertRefused(Self.file(trailing, data: eightBytes), .uncoveredBytes(begin: 4, end: 8))
    }

    func testNaNAndInfAreRefused() throws {
        for (value, kind) in [(Float.nan, "NaN"), (Float.infinity, "+Inf"), (-Float.infinity, "-Inf")] {
            let st = Safetensors(tensors: [(name: "w", tensor: SafetensorsTensor(f32: [1, 2, value], shape: [3]))])
            let parsed = try Safetensors.parse(st.encode(), path: "n.safetensors")
            XCTAssertThrowsError(try parsed["w"]?.f32Values(name: "w", path: "n.safetensors")) { error in
                XCTAssertEqual((error as? SafetensorsError)?.problem, .nonFinite(tensor: "w", index: 2, kind: kind))
                XCTAssertTrue("\(error)".hasPrefix("n.safetensors: "))
            }
        }
    }

    func testOtherDTypesAreRecognisedButNotLoadedAsF32() throws {
        let st = try Safetensors.parse(sample.encode(), path: "s")
        XCTAssertEqual(st["ids"]?.dtype, "I64")
        XCTAssertThrowsError(try st["ids"]?.f32Values(name: "ids", path: "s")) { error in
            XCTAssertEqual((error as? SafetensorsError)?.problem, .unsupportedDType(tensor: "ids", dtype: "I64"))
            XCTAssertTrue("\(error)".contains("unsupported dtype I64"))
        }
    }

    func testWriterRefusesInconsistentTensors() {
        let dup = Safetensors(tensors: [(name: "a", tensor: SafetensorsTensor(f32: [1], shape: [1])),
                                        (name: "a", tensor: SafetensorsTensor(f32: [1], shape: [1]))])
        XCTAssertThrowsError(try dup.encode(path: "d")) { XCTAssertEqual(($0 as? SafetensorsError)?.problem, .duplicateTensor("a")) }
        let short = Safetensors(tensors: [(name: "a", tensor: SafetensorsTensor(f32: [1, 2], shape: [3]))])
        XCTAssertThrowsError(try short.encode(path: "d")) { XCTAssertEqual(($0 as? SafetensorsError)?.problem, .inconsistentTensor("a")) }
    }
}
