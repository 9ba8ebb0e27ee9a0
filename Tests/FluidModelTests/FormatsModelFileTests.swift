import FluidModel
import Foundation
import XCTest

/// Fluid weight files: round trip, hash, and one distinct error per model-level problem.
final class FormatsModelFileTests: XCTestCase {
    /// Weights with every value distinct and the triangular mask applied.
    private func sampleWeights() -> CNNWeights {
        var w = CNNWeights()
        var x: Float = 0
        func fill(_ a: inout [Float]) { for i in a.indices { x += 1; a[i] = sin(x) * 0.1 } }
        fill(&w.conv1Weight); fill(&w.conv1Bias); fill(&w.conv2Weight); fill(&w.conv2Bias)
        fill(&w.conv3Weight); fill(&w.conv3Bias); fill(&w.fcWeight); fill(&w.fcBias)
        w.applyMask(.triangular)
        return w
    }

    func testRoundTripKeepsWeightsMetadataAndHash() throws {
        let dir = try makeTempDirectory(self)
        let path = dir + "/fluid.safetensors"
        let model = ModelFile(weights: sampleWeights(), kind: .fluid, connectivity: .triangular,
                              metadata: ["recipe": "paper", "accuracy.100": "0.987", "kind": "ignored"])
        let written = try model.write(path: path)
        let back = try ModelFile.load(path: path)
        XCTAssertEqual(back.weights, model.weights)
        XCTAssertEqual(back.kind, .fluid)
        XCTAssertEqual(back.connectivity, .triangular)
        XCTAssertEqual(back.metadata["recipe"], "paper")
        XCTAssertEqual(back.metadata["kind"], "fluid", "required keys win over the caller's metadata")
        XCTAssertEqual(back.metadata["format_version"], "1")
        XCTAssertEqual(back.metadata["widths"], "4,8,12,16")
        XCTAssertEqual(back.sha256, written)
        XCTAssertEqual(back.sha256, MNIST.sha256(try readFile(path)))
        XCTAssertEqual(back.sha256.count, 64)
        // The generic reader sees the 8 tensors in CNN order with PyTorch shapes.
        let st = try Safetensors.read(path: path)
        XCTAssertEqual(st.tensors.map(\.name), CNNWeights.tensorShapes.map(\.name))
        XCTAssertEqual(st.tensors.map(\.tensor.shape), CNNWeights.tensorShapes.map(\.shape))
        // Writing the loaded model again gives the same bytes.
        XCTAssertEqual(try back.encode(), try readFile(path))
    }

    func testHashDiffersWhenOneWeightDiffers() throws {
        var w = sampleWeights()
        let a = try ModelFile(weights: w, kind: .static, connectivity: .dense).encode()
        w.fcBias[9] += 1e-3
        let b = try ModelFile(weights: w, kind: .static, connectivity: .dense).encode()
        XCTAssertNotEqual(MNIST.sha256(a), MNIST.sha256(b))
    }

    // MARK: malformed files

    /// A safetensors file from `model` after `edit` changes its tensors or metadata.
    private func bytes(_ edit: (inout Safetensors) -> Void) throws -> [UInt8] {
        var st = try Safetensors.parse(ModelFile(weights: sampleWeights(), kind: .dynamic, connectivity: .triangular).encode(),
                                       path: "-")
        edit(&st)
        return try st.encode()
    }

    private func assertModelError(_ bytes: [UInt8], _ expected: ModelFileProblem,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        try assertLoadFails(bytes, expected, file: file, line: line)
    }

    private func assertFormatError(_ bytes: [UInt8], _ expected: SafetensorsProblem,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        try assertLoadFails(bytes, expected, file: file, line: line)
    }

    /// `ModelFile.load` refuses `bytes` with `expected`, naming the file.
    private func assertLoadFails<P: FileProblem>(_ bytes: [UInt8], _ expected: P,
                                                 file: StaticString, line: UInt) throws {
        let dir = try makeTempDirectory(self)
        let path = dir + "/bad.safetensors"
        try writeFile(bytes, path)
        XCTAssertThrowsError(try ModelFile.load(path: path), file: file, line: line) { error in
            guard let e = error as? FileError<P> else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(e.problem, expected, file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix(path + ": "), "names the file: \(e)", file: file, line: line)
        }
    }

    func testMissingTensor() throws {
        try assertModelError(bytes { $0.tensors.removeAll { $0.name == "conv2.bias" } }, .missingTensor("conv2.bias"))
    }

    func testUnexpectedTensor() throws {
        try assertModelError(bytes { $0.tensors.append((name: "fc2.weight", tensor: SafetensorsTensor(f32: [1], shape: [1]))) },
                             .unexpectedTensor("fc2.weight"))
    }

    func testWrongShape() throws {
        // Same element count, transposed: only the shape check can catch it.
        try assertModelError(bytes { st in
            let i = st.tensors.firstIndex { $0.name == "fc.weight" }!
            st.tensors[i].tensor.shape = [144, 10]
        }, .wrongShape("fc.weight", found: [144, 10], expected: [10, 144]))
    }

    func testWrongDType() throws {
        try assertFormatError(bytes { st in
            let i = st.tensors.firstIndex { $0.name == "conv1.bias" }!
            st.tensors[i].tensor = SafetensorsTensor(dtype: "F16", shape: [16], data: [UInt8](repeating: 0, count: 32))
        }, .unsupportedDType(tensor: "conv1.bias", dtype: "F16"))
    }

    func testNaNAndInf() throws {
        for (v, kind) in [(Float.nan, "NaN"), (Float.infinity, "+Inf")] {
            var w = sampleWeights()
            w.conv3Weight[5] = v
            try assertFormatError(ModelFile(weights: w, kind: .fluid, connectivity: .dense).encode(),
                                  .nonFinite(tensor: "conv3.weight", index: 5, kind: kind))
        }
    }

    func testFormatVersion() throws {
        try assertModelError(bytes { $0.metadata["format_version"] = "2" }, .unsupportedFormatVersion("2"))
        try assertModelError(bytes { $0.metadata["format_version"] = nil }, .missingFormatVersion)
        let e = ModelFileError(path: "m", problem: .unsupportedFormatVersion("2"))
        XCTAssertTrue(e.description.contains("fluid train"), "a hint: \(e)")
    }

    func testMetadataValues() throws {
        try assertModelError(bytes { $0.metadata["kind"] = "huge" },
                             .badMetadata(key: "kind", value: "huge", allowed: ["static", "dynamic", "fluid"]))
        try assertModelError(bytes { $0.metadata["kind"] = nil }, .missingMetadata("kind"))
        try assertModelError(bytes { $0.metadata["connectivity"] = "sparse" },
                             .badMetadata(key: "connectivity", value: "sparse", allowed: ["dense", "triangular"]))
        try assertModelError(bytes { $0.metadata["widths"] = "4,8,16" },
                             .badMetadata(key: "widths", value: "4,8,16", allowed: ["4,8,12,16"]))
    }

    func testTriangularFileWithDenseWeightsIsRefused() throws {
        var w = sampleWeights()
        w.conv2Weight[(0 * 16 + 15) * 9] = 0.5 // output channel 0 (g0) reads input 15 (g3)
        try assertModelError(ModelFile(weights: w, kind: .fluid, connectivity: .triangular).encode(),
                             .notTriangular("conv2.weight[0,15,0,0] = 0.5"))
        // The same weights are fine when the file says dense.
        XCTAssertNoThrow(try ModelFile.parse(ModelFile(weights: w, kind: .fluid, connectivity: .dense).encode(), path: "d"))
    }

    func testTruncatedModelFile() throws {
        let good = try bytes { _ in }
        try assertFormatError(Array(good.prefix(good.count - 100)), .truncated(size: good.count - 100, needed: good.count))
    }
}
