import FluidModel
import Foundation
import XCTest

/// scripts/fetch-mnist.sh (`make data`): checksum refusal, failure message, idempotence.
/// Restricted to `--sources mnist_dir` so that nothing here touches the network.
final class DataFetchScriptTests: XCTestCase {
    private var script: String { repositoryRoot + "/scripts/fetch-mnist.sh" }

    private func fetch(_ args: [String], mnistDir: String?) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: script) else { throw XCTSkip("no \(script)") }
        var env = ProcessInfo.processInfo.environment
        env["MNIST_DIR"] = mnistDir
        return try runProcess(["bash", script] + args, environment: env)
    }

    private func realDirectory() throws -> String {
        guard let dir = realMNISTDirectory() else { throw XCTSkip("real MNIST not found (set MNIST_DIR or run `make data`)") }
        return dir
    }

    /// Copies the real test-labels file (raw) into `dir`, optionally with one bit flipped.
    private func copyTestLabels(from real: String, to dir: String, flipByte: Int? = nil) throws -> String {
        var bytes = try IDX.readBytes(path: MNIST.locate("t10k-labels-idx1-ubyte", in: real))
        if let i = flipByte { bytes[i] ^= 0x01 }
        let path = dir + "/t10k-labels-idx1-ubyte"
        try writeFile(bytes, path)
        return path
    }

    func testCorruptedFileIsRefusedByChecksum() throws {
        let real = try realDirectory()
        let src = try makeTempDirectory(self), dest = try makeTempDirectory(self) + "/mnist"
        let bad = try copyTestLabels(from: real, to: src, flipByte: 100)
        let r = try fetch(["--sources", "mnist_dir", dest], mnistDir: src)
        XCTAssertNotEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("\(bad): SHA-256 mismatch for t10k-labels-idx1-ubyte"), r.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dest + "/t10k-labels-idx1-ubyte"), "a bad file must not land in DEST")
    }

    /// Control for the test above: the same file unflipped is accepted.
    func testIntactFileIsAccepted() throws {
        let real = try realDirectory()
        let src = try makeTempDirectory(self), dest = try makeTempDirectory(self) + "/mnist"
        _ = try copyTestLabels(from: real, to: src)
        let r = try fetch(["--sources", "mnist_dir", dest], mnistDir: src)
        XCTAssertNotEqual(r.status, 0, "three files are still missing")
        XCTAssertTrue(r.output.contains("t10k-labels-idx1-ubyte: verified, from MNIST_DIR"), r.output)
        XCTAssertEqual(try MNIST.sha256(path: dest + "/t10k-labels-idx1-ubyte"), MNIST.rawSHA256["t10k-labels-idx1-ubyte"])
    }

    func testCorruptedGzipIsRefused() throws {
        let real = try realDirectory()
        let src = try makeTempDirectory(self), dest = try makeTempDirectory(self) + "/mnist"
        let raw = try copyTestLabels(from: real, to: src)
        try gzipFile(raw)
        try FileManager.default.removeItem(atPath: raw)
        var gz = try readFile(raw + ".gz")
        gz[gz.count / 2] ^= 0x55
        try writeFile(gz, raw + ".gz")
        let r = try fetch(["--sources", "mnist_dir", dest], mnistDir: src)
        XCTAssertNotEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("\(raw).gz: gunzip failed"), r.output)
    }

    func testNoSourceNamesEverySourceAndTheFix() throws {
        let dest = try makeTempDirectory(self) + "/mnist"
        let r = try fetch(["--sources", "mnist_dir", dest], mnistDir: nil)
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.output.contains("Sources tried: MNIST_DIR"), r.output)
        XCTAssertTrue(r.output.contains("MNIST_DIR: not set"), r.output)
        XCTAssertTrue(r.output.contains("MNIST_DIR=/path/to/that/folder make data"), r.output)
    }

    func testFullFetchIsVerifiedAndIdempotent() throws {
        let real = try realDirectory()
        let dest = try makeTempDirectory(self) + "/mnist"
        let first = try fetch(["--sources", "mnist_dir", dest], mnistDir: real)
        XCTAssertEqual(first.status, 0, first.output)
        for (name, digest) in MNIST.rawSHA256 {
            XCTAssertEqual(try MNIST.sha256(path: dest + "/" + name), digest, name)
        }
        let second = try fetch(["--sources", "mnist_dir", dest], mnistDir: "/nonexistent")
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertTrue(second.output.contains("nothing to do"), second.output)
        // A file damaged in the cache is noticed, dropped and fetched again.
        var bytes = try readFile(dest + "/t10k-labels-idx1-ubyte")
        bytes[100] ^= 0x01
        try writeFile(bytes, dest + "/t10k-labels-idx1-ubyte")
        let third = try fetch(["--sources", "mnist_dir", dest], mnistDir: real)
        XCTAssertEqual(third.status, 0, third.output)
        XCTAssertTrue(third.output.contains("SHA-256 mismatch, removing it"), third.output)
        XCTAssertEqual(try MNIST.sha256(path: dest + "/t10k-labels-idx1-ubyte"), MNIST.rawSHA256["t10k-labels-idx1-ubyte"])
    }
}
