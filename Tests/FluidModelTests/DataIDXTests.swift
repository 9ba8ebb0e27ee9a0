import FluidModel
import XCTest

/// IDX reader: round trips (raw and gzip) and one distinct error per malformed case.
final class DataIDXTests: XCTestCase {
    /// 3 images of 28 × 28 with a recognisable pattern.
    private let images = IDXArray(dims: [3, 28, 28], values: (0..<3 * 784).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) })
    private let labels = IDXArray(dims: [3], values: [7, 2, 9])

    func testRawRoundTrip() throws {
        let dir = try makeTempDirectory(self)
        let path = dir + "/imgs"
        try writeFile(IDX.encode(images), path)
        XCTAssertEqual(try IDX.readImages(path: path), images)
        try writeFile(IDX.encode(labels), dir + "/labels")
        XCTAssertEqual(try IDX.readLabels(path: dir + "/labels"), labels)
    }

    func testGzipRoundTrip() throws {
        let dir = try makeTempDirectory(self)
        let path = dir + "/imgs"
        try writeFile(IDX.encode(images), path)
        try gzipFile(path)
        let gz = try readFile(path + ".gz")
        XCTAssertEqual(Array(gz.prefix(2)), [0x1f, 0x8b], "the test must really read a gzip file")
        XCTAssertEqual(try IDX.readImages(path: path + ".gz"), images)
    }

    /// `cat a.gz b.gz` is a valid gzip file of the concatenation.
    func testConcatenatedGzipMembers() throws {
        let dir = try makeTempDirectory(self)
        let bytes = IDX.encode(images)
        try writeFile(Array(bytes[..<1000]), dir + "/a")
        try writeFile(Array(bytes[1000...]), dir + "/b")
        try gzipFile(dir + "/a")
        try gzipFile(dir + "/b")
        try writeFile(try readFile(dir + "/a.gz") + readFile(dir + "/b.gz"), dir + "/ab.gz")
        XCTAssertEqual(try IDX.readImages(path: dir + "/ab.gz"), images)
    }

    // MARK: malformed files

    private func assertProblem(_ bytes: [UInt8], gzip: Bool = false, labels: Bool = false,
                               _ expected: (IDXError.Problem) -> Bool,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try makeTempDirectory(self)
        var path = dir + "/bad-idx"
        try writeFile(bytes, path)
        if gzip { try gzipFile(path); path += ".gz" }
        XCTAssertThrowsError(try labels ? IDX.readLabels(path: path) : IDX.readImages(path: path),
                             file: file, line: line) { error in
            guard let e = error as? IDXError else { return XCTFail("not an IDXError: \(error)", file: file, line: line) }
            XCTAssertTrue(expected(e.problem), "unexpected problem \(e.problem)", file: file, line: line)
            XCTAssertTrue(e.description.contains(path), "message must name the file: \(e)", file: file, line: line)
        }
    }

    func testTruncatedHeader() throws {
        try assertProblem([0, 0, 8]) { if case .truncatedHeader(3) = $0 { return true }; return false }
        try assertProblem(Array(IDX.encode(images)[..<10])) { if case .truncatedHeader(10) = $0 { return true }; return false }
    }

    func testBadMagic() throws {
        var b = IDX.encode(images)
        b[0] = 0x1a
        try assertProblem(b) { if case .badMagic(let f, 0x803) = $0 { return f == 0x1a00_0803 }; return false }
        // A label file where images are expected: 1 dimension instead of 3.
        try assertProblem(IDX.encode(labels)) { if case .badMagic(0x801, 0x803) = $0 { return true }; return false }
    }

    func testUnsupportedDType() throws {
        var b = IDX.encode(images)
        b[2] = 0x0d // float
        try assertProblem(b) { $0 == .unsupportedDType(0x0d) }
    }

    func testWrongDimensions() throws {
        let small = IDXArray(dims: [2, 27, 28], values: [UInt8](repeating: 1, count: 2 * 27 * 28))
        try assertProblem(IDX.encode(small)) { $0 == .wrongDimensions(found: [27, 28], expected: [28, 28]) }
    }

    func testTruncatedData() throws {
        let b = IDX.encode(images)
        try assertProblem(Array(b.dropLast(5))) { $0 == .wrongLength(found: b.count - 5, expected: b.count) }
    }

    func testTrailingData() throws {
        let b = IDX.encode(labels)
        try assertProblem(b + [0], labels: true) { $0 == .wrongLength(found: b.count + 1, expected: b.count) }
    }

    func testHostileDimensionsDoNotCrash() throws {
        // 2^32-1 × 2^32-1 × 2^32-1 items: must overflow-check, not trap.
        let b: [UInt8] = [0, 0, 8, 3] + [UInt8](repeating: 0xff, count: 12)
        try assertProblem(b) { if case .wrongLength = $0 { return true }; return false }
    }

    func testCorruptGzip() throws {
        let dir = try makeTempDirectory(self)
        try writeFile(IDX.encode(images), dir + "/x")
        try gzipFile(dir + "/x")
        var gz = try readFile(dir + "/x.gz")
        gz[gz.count / 2] ^= 0x55
        try assertProblem(gz) { if case .gzip(let why) = $0 { return why.contains("corrupt") }; return false }
    }

    func testTruncatedGzip() throws {
        let dir = try makeTempDirectory(self)
        try writeFile(IDX.encode(images), dir + "/x")
        try gzipFile(dir + "/x")
        let gz = try readFile(dir + "/x.gz")
        try assertProblem(Array(gz.dropLast(12))) { if case .gzip(let why) = $0 { return why.contains("truncated") }; return false }
    }

    func testMissingFile() throws {
        XCTAssertThrowsError(try IDX.readLabels(path: "/nonexistent/fluid/labels")) { error in
            guard case .unreadable? = (error as? IDXError)?.problem else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("/nonexistent/fluid/labels"))
        }
    }
}
