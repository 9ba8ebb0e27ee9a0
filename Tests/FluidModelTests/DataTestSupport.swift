import Foundation
import XCTest
import FluidModel

/// A fresh temporary folder per test, removed at teardown.
func makeTempDirectory(_ test: XCTestCase, _ name: String = #function) throws -> String {
    let dir = (NSTemporaryDirectory() as NSString)
        .appendingPathComponent("fluid-\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

func writeFile(_ bytes: [UInt8], _ path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func readFile(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Runs a program (looked up on PATH) and returns its exit status and combined output.
@discardableResult
func runProcess(_ args: [String], environment: [String: String]? = nil, cwd: String? = nil) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    if let environment { p.environment = environment }
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// gzips `path` to `path.gz` with the gzip CLI (keeps the original).
func gzipFile(_ path: String) throws {
    let r = try runProcess(["gzip", "-kf", path])
    guard r.status == 0 else { throw XCTSkip("gzip CLI failed: \(r.output)") }
}

/// The repository root (…/Tests/FluidModelTests/this file → two levels up).
let repositoryRoot: String = {
    let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}()

/// The real MNIST folder, or nil: MNIST.defaultDirectory(), then ../shared/data/mnist
/// next to the repository (CI), then /work/shared/data/mnist.
func realMNISTDirectory() -> String? {
    if let d = MNIST.defaultDirectory() { return d }
    for d in [(repositoryRoot as NSString).appendingPathComponent("../shared/data/mnist"),
              (repositoryRoot as NSString).appendingPathComponent("data/mnist"),
              "/work/shared/data/mnist"] where MNIST.hasAllFiles(d) {
        return d
    }
    return nil
}
