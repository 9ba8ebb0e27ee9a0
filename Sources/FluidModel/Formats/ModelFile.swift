import Crypto
import Foundation

/// A Fluid weight file (docs/model.md): safetensors, float32, exactly the 8 tensors of
/// `CNNWeights.tensorShapes`, and `__metadata__` with at least `format_version`, `kind`,
/// `connectivity` and `widths`.
public struct ModelFile: Sendable {
    public var weights: CNNWeights
    /// All metadata, including the required keys (the training recipe and accuracies live here).
    public var metadata: [String: String]
    /// Lowercase hex SHA-256 of the file bytes as read or last written ("" when never on disk).
    /// The cluster handshake compares it so that both devices run the same weights.
    public var sha256: String
    public var kind: ModelKind
    public var connectivity: Connectivity

    /// Version of the weight-file layout, independent of the package version.
    package static let formatVersion = "1"
    /// Channel widths of the nested sub-networks (`widths` metadata).
    package static let widths = "4,8,12,16"

    /// A new file; `metadata` may carry extra keys (recipe, accuracy); the required keys
    /// are set from the arguments and win over `metadata`.
    public init(weights: CNNWeights, kind: ModelKind, connectivity: Connectivity, metadata: [String: String] = [:]) {
        self.weights = weights
        self.kind = kind
        self.connectivity = connectivity
        self.metadata = metadata
        self.sha256 = ""
        self.metadata.merge(requiredMetadata) { _, required in required }
    }

    private var requiredMetadata: [String: String] {
        ["format_version": Self.formatVersion, "kind": kind.rawValue,
         "connectivity": connectivity.rawValue, "widths": Self.widths]
    }

    /// Reads and validates a weight file.
    public static func load(path: String) throws -> ModelFile {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SafetensorsError(path: path, problem: .unreadable(error.localizedDescription))
        }
        return try parse(bytes, path: path)
    }

    /// Validates file bytes; `path` only names the file in errors.
    ///
    /// Format problems throw `SafetensorsError` (including a non-F32 dtype and NaN/Inf values);
    /// problems with the Fluid model throw `ModelFileError`.
    public static func parse(_ bytes: [UInt8], path: String) throws -> ModelFile {
        func fail(_ p: ModelFileError.Problem) -> ModelFileError { ModelFileError(path: path, problem: p) }

        let file = try Safetensors.parse(bytes, path: path)
        let meta = file.metadata
        guard let version = meta["format_version"] else { throw fail(.missingFormatVersion) }
        guard version == formatVersion else { throw fail(.unsupportedFormatVersion(version)) }
        guard let kindName = meta["kind"] else { throw fail(.missingMetadata("kind")) }
        guard let kind = ModelKind(rawValue: kindName) else {
            throw fail(.badMetadata(key: "kind", value: kindName, allowed: ModelKind.allCases.map(\.rawValue)))
        }
        guard let connName = meta["connectivity"] else { throw fail(.missingMetadata("connectivity")) }
        guard let connectivity = Connectivity(rawValue: connName) else {
            throw fail(.badMetadata(key: "connectivity", value: connName, allowed: Connectivity.allCases.map(\.rawValue)))
        }
        guard let widths = meta["widths"] else { throw fail(.missingMetadata("widths")) }
        guard widths == Self.widths else {
            throw fail(.badMetadata(key: "widths", value: widths, allowed: [Self.widths]))
        }

        let expected = CNNWeights.tensorShapes
        for (name, _) in expected where file[name] == nil { throw fail(.missingTensor(name)) }
        if let extra = file.tensors.first(where: { t in !expected.contains { $0.name == t.name } }) {
            throw fail(.unexpectedTensor(extra.name))
        }
        var values: [String: [Float]] = [:]
        for (name, shape) in expected {
            guard let t = file[name] else { throw fail(.missingTensor(name)) }
            guard t.shape == shape else { throw fail(.wrongShape(name, found: t.shape, expected: shape)) }
            values[name] = try t.f32Values(name: name, path: path)
        }
        let weights: CNNWeights
        do {
            weights = try CNNWeights(tensors: values)
        } catch {
            throw fail(.inconsistent("\(error)"))
        }
        if let violation = weights.maskViolation(connectivity) {
            throw fail(.notTriangular(violation))
        }

        var model = ModelFile(weights: weights, kind: kind, connectivity: connectivity, metadata: meta)
        model.sha256 = Digest.sha256Hex(bytes)
        return model
    }

    /// The file bytes (deterministic: the same model always gives the same bytes).
    public func encode(path: String = "<memory>") throws -> [UInt8] {
        let tensors = weights.namedTensors.map { (name: $0.name, tensor: SafetensorsTensor(f32: $0.values, shape: $0.shape)) }
        var meta = metadata
        meta.merge(requiredMetadata) { _, required in required }
        return try Safetensors(tensors: tensors, metadata: meta).encode(path: path)
    }

    /// Writes the file atomically and returns its SHA-256 (hex), the `sha256` a later `load` reports.
    @discardableResult
    public func write(path: String) throws -> String {
        let bytes = try encode(path: path)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SafetensorsError(path: path, problem: .unwritable(error.localizedDescription))
        }
        return Digest.sha256Hex(bytes)
    }
}
