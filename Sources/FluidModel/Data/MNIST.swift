import Foundation

/// One MNIST split in memory.
///
/// images [N, CNN.imagePixels] unsigned bytes (row-major, CNN.imageSide square, 0 =
/// background), labels [N] in 0…9.
public struct MNISTSet: Sendable {
    public var images: [UInt8]
    package var labels: [UInt8]
    public var count: Int { labels.count }

    public init(images: [UInt8], labels: [UInt8]) {
        self.images = images
        self.labels = labels
    }

    /// Pixels of image `i`, `CNN.imagePixels` bytes.
    package func image(_ i: Int) -> ArraySlice<UInt8> {
        images[i * CNN.imagePixels ..< (i + 1) * CNN.imagePixels]
    }

    /// Images `range` as the network's input, value = pixel / 255: [range.count, side, side, 1].
    package func floatImages(_ range: Range<Int>) -> [Float] {
        images[range.lowerBound * CNN.imagePixels ..< range.upperBound * CNN.imagePixels]
            .map { Float($0) * (1 / 255) }
    }
}

/// Loading the MNIST files (docs/data.md).
public enum MNIST {
    public enum Split: String, CaseIterable, Sendable {
        case train, test

        /// Raw file names (LeCun's), without `.gz`.
        package var imagesFile: String { self == .train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte" }
        package var labelsFile: String { self == .train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte" }
        /// Items in the real split.
        package var expectedCount: Int { self == .train ? 60_000 : 10_000 }
    }

    /// SHA-256 of the four RAW (uncompressed) files, docs/data.md.
    package static let rawSHA256: [String: String] = [
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ]

    /// Lowercase hex SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> String {
        Digest.sha256Hex(bytes)
    }

    /// Lowercase hex SHA-256 of the RAW content of a file (gunzipped first when it is gzip).
    public static func sha256(path: String) throws -> String {
        sha256(try IDX.readBytes(path: path))
    }

    /// The file for raw name `name` in `directory`: `name` if present, else `name.gz`.
    package static func locate(_ name: String, in directory: String) throws -> String {
        let candidates = [name, name + ".gz"].map { (directory as NSString).appendingPathComponent($0) }
        if let found = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) {
            return found
        }
        throw IDXError(path: directory, problem: .notFound(candidates))
    }

    /// Loads one split from `directory` (raw or `.gz` files).
    ///
    /// Checks magic, dtype, the image side, exact length, image count == label count, labels in 0…9
    /// and, when `verifyChecksum` (the default), the SHA-256 of the raw bytes against docs/data.md,
    /// so that a corrupted file never trains or evaluates silently. Tests with synthetic files
    /// pass `verifyChecksum: false`.
    public static func load(directory: String, split: Split, verifyChecksum: Bool = true) throws -> MNISTSet {
        let imagesPath = try locate(split.imagesFile, in: directory)
        let labelsPath = try locate(split.labelsFile, in: directory)
        let imageBytes = try IDX.readBytes(path: imagesPath)
        let labelBytes = try IDX.readBytes(path: labelsPath)
        if verifyChecksum {
            try check(imageBytes, name: split.imagesFile, path: imagesPath)
            try check(labelBytes, name: split.labelsFile, path: labelsPath)
        }
        let images = try IDX.parse(imageBytes, dimensionCount: 3, path: imagesPath)
        guard images.dims[1] == CNN.imageSide, images.dims[2] == CNN.imageSide else {
            throw IDXError(path: imagesPath, problem: .wrongDimensions(found: Array(images.dims[1...]),
                                                                       expected: [CNN.imageSide, CNN.imageSide]))
        }
        let labels = try IDX.parse(labelBytes, dimensionCount: 1, path: labelsPath)
        guard labels.dims[0] == images.dims[0] else {
            throw IDXError(path: labelsPath, problem: .countMismatch(images: images.dims[0], labels: labels.dims[0]))
        }
        if let bad = labels.values.firstIndex(where: { $0 >= UInt8(CNN.classes) }) {
            throw IDXError(path: labelsPath, problem: .labelOutOfRange(index: bad, value: labels.values[bad]))
        }
        return MNISTSet(images: images.values, labels: labels.values)
    }

    private static func check(_ bytes: [UInt8], name: String, path: String) throws {
        guard let expected = rawSHA256[name] else { return }
        let found = sha256(bytes)
        guard found == expected else {
            throw IDXError(path: path, problem: .checksumMismatch(found: found, expected: expected))
        }
    }

    /// The MNIST folder to use when none is given, or nil when none holds the four files.
    ///
    /// Tried in order: `$FLUID_DATA` (the folder itself, or its `mnist/` subfolder),
    /// `./data/mnist` (where `make data` puts the verified files), `$MNIST_DIR`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment,
                                        currentDirectory: String = FileManager.default.currentDirectoryPath) -> String? {
        candidateDirectories(environment: environment, currentDirectory: currentDirectory)
            .first(where: hasAllFiles)
    }

    /// The folders `defaultDirectory` tries, in order.
    public static func candidateDirectories(environment: [String: String] = ProcessInfo.processInfo.environment,
                                            currentDirectory: String = FileManager.default.currentDirectoryPath) -> [String] {
        var dirs: [String] = []
        if let d = environment["FLUID_DATA"], !d.isEmpty {
            dirs += [d, (d as NSString).appendingPathComponent("mnist")]
        }
        dirs.append((currentDirectory as NSString).appendingPathComponent("data/mnist"))
        if let d = environment["MNIST_DIR"], !d.isEmpty { dirs.append(d) }
        return dirs
    }

    /// True when `directory` holds all four files (raw or `.gz`); does not read them.
    package static func hasAllFiles(_ directory: String) -> Bool {
        Split.allCases.allSatisfy { split in
            [split.imagesFile, split.labelsFile].allSatisfy { (try? locate($0, in: directory)) != nil }
        }
    }
}
