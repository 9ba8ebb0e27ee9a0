/// A weight file is valid safetensors but not a usable Fluid model; `description` names the file.
package typealias ModelFileError = FileError<ModelFileProblem>

/// One case per check of a Fluid weight file beyond the safetensors format.
package enum ModelFileProblem: FileProblem {
    case missingFormatVersion
    case unsupportedFormatVersion(String)
    case missingMetadata(String)
    case badMetadata(key: String, value: String, allowed: [String])
    case missingTensor(String)
    case unexpectedTensor(String)
    case wrongShape(String, found: [Int], expected: [Int])
    /// `connectivity` says triangular but a weight it forbids is not zero (which one).
    case notTriangular(String)
    case inconsistent(String)

    package var reason: String {
        switch self {
        case .missingFormatVersion:
            return "no format_version in __metadata__: not a Fluid weight file (write it with `fluid train`)"
        case .unsupportedFormatVersion(let v):
            return "format_version \(v) is not supported (this build reads version \(ModelFile.formatVersion)); "
                + "retrain with `fluid train` or use the build that wrote it"
        case .missingMetadata(let k): return "__metadata__ has no '\(k)'"
        case .badMetadata(let k, let v, let allowed):
            return "__metadata__ '\(k)' is '\(v)', expected \(allowed.joined(separator: " | "))"
        case .missingTensor(let n): return "missing tensor '\(n)'"
        case .unexpectedTensor(let n): return "unexpected tensor '\(n)' (the Fluid CNN has exactly 8)"
        case .wrongShape(let n, let f, let e): return "tensor '\(n)' has shape \(f), expected \(e)"
        case .notTriangular(let block): return "connectivity is triangular but \(block) is not zero (a masked block above the diagonal)"
        case .inconsistent(let why): return why
        }
    }
}
