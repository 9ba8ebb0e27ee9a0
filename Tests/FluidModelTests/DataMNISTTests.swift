import FluidModel
import XCTest

/// MNIST loading: synthetic folders for each refusal, then the real data set.
final class DataMNISTTests: XCTestCase {
    /// Writes a synthetic test split (n images, the given labels) to `dir`, gzipped when asked.
    private func writeSplit(_ dir: String, images n: Int, labels: [UInt8], gzip: Bool = false) throws {
        let side = CNN.imageSide
        let imgs = IDXArray(dims: [n, side, side], values: (0..<n * CNN.imagePixels).map { UInt8(truncatingIfNeeded: $0) })
        let split = MNIST.Split.test
        try writeFile(IDX.encode(imgs), dir + "/" + split.imagesFile)
        try writeFile(IDX.encode(IDXArray(dims: [labels.count], values: labels)), dir + "/" + split.labelsFile)
        if gzip {
            for f in [split.imagesFile, split.labelsFile] {
                try gzipFile(dir + "/" + f)
                try FileManager.default.removeItem(atPath: dir + "/" + f)
            }
        }
    }

    func testSyntheticSplitLoadsRawAndGzip() throws {
        for gz in [false, true] {
            let dir = try makeTempDirectory(self)
            try writeSplit(dir, images: 3, labels: [1, 0, 9], gzip: gz)
            let set = try MNIST.load(directory: dir, split: .test, verifyChecksum: false)
            XCTAssertEqual(set.count, 3)
            XCTAssertEqual(set.labels, [1, 0, 9])
            XCTAssertEqual(set.images.count, 3 * CNN.imagePixels)
            XCTAssertEqual(Array(set.image(1).prefix(2)), [UInt8(truncatingIfNeeded: CNN.imagePixels), UInt8(truncatingIfNeeded: CNN.imagePixels + 1)])
            XCTAssertEqual(set.floatImages(0..<1)[255], 1.0)
        }
    }

    func testCountMismatchIsRefused() throws {
        let dir = try makeTempDirectory(self)
        try writeSplit(dir, images: 3, labels: [1, 2])
        XCTAssertThrowsError(try MNIST.load(directory: dir, split: .test, verifyChecksum: false)) { error in
            XCTAssertEqual((error as? IDXError)?.problem, .countMismatch(images: 3, labels: 2))
            XCTAssertTrue("\(error)".contains(MNIST.Split.test.labelsFile), "\(error)")
        }
    }

    func testLabelOutOfRangeIsRefused() throws {
        let dir = try makeTempDirectory(self)
        try writeSplit(dir, images: 3, labels: [1, 10, 2])
        XCTAssertThrowsError(try MNIST.load(directory: dir, split: .test, verifyChecksum: false)) { error in
            XCTAssertEqual((error as? IDXError)?.problem, .labelOutOfRange(index: 1, value: 10))
        }
    }

    func testMissingFilesNameTheCandidates() throws {
        let dir = try makeTempDirectory(self)
        XCTAssertThrowsError(try MNIST.load(directory: dir, split: .train)) { error in
            guard case .notFound(let names)? = (error as? IDXError)?.problem else { return XCTFail("\(error)") }
            XCTAssertEqual(names, [dir + "/train-images-idx3-ubyte", dir + "/train-images-idx3-ubyte.gz"])
        }
    }

    /// Structurally valid files that are not the real MNIST fail the SHA-256 check.
    func testChecksumRefusesNonMNIST() throws {
        let dir = try makeTempDirectory(self)
        try writeSplit(dir, images: 2, labels: [1, 2])
        XCTAssertThrowsError(try MNIST.load(directory: dir, split: .test)) { error in
            guard case .checksumMismatch(_, let expected)? = (error as? IDXError)?.problem else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, MNIST.rawSHA256["t10k-images-idx3-ubyte"])
            XCTAssertTrue("\(error)".contains(dir + "/t10k-images-idx3-ubyte"))
        }
    }

    func testDefaultDirectoryOrder() throws {
        let root = try makeTempDirectory(self)
        let fluidData = root + "/fd", cwd = root + "/cwd", mnistDir = root + "/md"
        for d in [fluidData + "/mnist", cwd + "/data/mnist", mnistDir] {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
        func populate(_ d: String) throws {
            for s in MNIST.Split.allCases { for f in [s.imagesFile, s.labelsFile] { try writeFile([], d + "/" + f + ".gz") } }
        }
        let env = ["FLUID_DATA": fluidData, "MNIST_DIR": mnistDir]
        XCTAssertNil(MNIST.defaultDirectory(environment: env, currentDirectory: cwd))
        try populate(mnistDir)
        XCTAssertEqual(MNIST.defaultDirectory(environment: env, currentDirectory: cwd), mnistDir)
        try populate(cwd + "/data/mnist")
        XCTAssertEqual(MNIST.defaultDirectory(environment: env, currentDirectory: cwd), cwd + "/data/mnist")
        try populate(fluidData + "/mnist")
        XCTAssertEqual(MNIST.defaultDirectory(environment: env, currentDirectory: cwd), fluidData + "/mnist")
        XCTAssertEqual(MNIST.candidateDirectories(environment: [:], currentDirectory: cwd), [cwd + "/data/mnist"])
    }

    // MARK: the real data set

    private func realDirectory() throws -> String {
        guard let dir = realMNISTDirectory() else {
            throw XCTSkip("real MNIST not found (set MNIST_DIR or run `make data`)")
        }
        return dir
    }

    func testRealTestSplit() throws {
        let set = try MNIST.load(directory: try realDirectory(), split: .test)
        XCTAssertEqual(set.count, 10_000)
        XCTAssertEqual(set.images.count, 10_000 * CNN.imagePixels)
        // LeCun's file order: the first test digits are 7, 2, 1, 0, 4.
        XCTAssertEqual(Array(set.labels.prefix(5)), [7, 2, 1, 0, 4])
        var histogram = [Int](repeating: 0, count: 10)
        for l in set.labels { histogram[Int(l)] += 1 }
        XCTAssertEqual(histogram, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    }

    func testRealTrainSplit() throws {
        let set = try MNIST.load(directory: try realDirectory(), split: .train)
        XCTAssertEqual(set.count, 60_000)
        XCTAssertEqual(Array(set.labels.prefix(5)), [5, 0, 4, 1, 9])
        XCTAssertEqual(set.images.max(), 255)
    }

    /// One flipped pixel bit in the real test images: structurally valid, refused by the digest.
    func testCorruptedRealFileIsRefusedByChecksum() throws {
        let real = try realDirectory(), dir = try makeTempDirectory(self)
        let split = MNIST.Split.test
        var images = try IDX.readBytes(path: MNIST.locate(split.imagesFile, in: real))
        images[16 + CNN.imagePixels * 5000 + 400] ^= 0x01
        try writeFile(images, dir + "/" + split.imagesFile)
        try writeFile(IDX.readBytes(path: MNIST.locate(split.labelsFile, in: real)), dir + "/" + split.labelsFile)
        XCTAssertNoThrow(try MNIST.load(directory: dir, split: split, verifyChecksum: false), "only the digest can tell")
        XCTAssertThrowsError(try MNIST.load(directory: dir, split: split)) { error in
            guard case .checksumMismatch? = (error as? IDXError)?.problem else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains(dir + "/" + split.imagesFile), "\(error)")
        }
    }

    func testRealFilesMatchDesignDigests() throws {
        let dir = try realDirectory()
        for (name, digest) in MNIST.rawSHA256 {
            XCTAssertEqual(try MNIST.sha256(path: MNIST.locate(name, in: dir)), digest, name)
        }
    }
}
