import Foundation
import NIOConcurrencyHelpers
import XCTest

/// Locating the built `fluid` binary and running it: the one copy of these helpers for every
/// test with real processes (this target holds them all).
enum FluidBinary {
    /// Package root, from this file's path (Tests/FluidEndToEndTests/ProcessSupport.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `.build/release/fluid` (tests run with `swift test -c release` after `swift build -c release`).
    static func path() throws -> String {
        let candidates = [".build/release/fluid", ".build/x86_64-unknown-linux-gnu/release/fluid",
                          ".build/aarch64-unknown-linux-gnu/release/fluid"]
            .map { packageRoot.appendingPathComponent($0).path }
        guard let p = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("""
                the fluid binary is missing (looked for \(candidates.joined(separator: ", "))); \
                run `swift build -c release` before `swift test -c release`
                """)
        }
        return p
    }

    /// The shipped Fluid weight file, which every process test runs its nodes on. It is in
    /// git, so a missing file is a broken tree: an error, never a skip.
    static func shippedFluidWeights() throws -> String {
        let w = packageRoot.appendingPathComponent("Assets/models/fluid.safetensors").path
        guard FileManager.default.fileExists(atPath: w) else {
            throw NSError(domain: "fluid", code: 3, userInfo: [NSLocalizedDescriptionKey: "shipped weights missing: \(w)"])
        }
        return w
    }

    /// Environment for children: MNIST found via the package's data/mnist, $MNIST_DIR, or
    /// the shared development copy next to the package.
    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        if env["MNIST_DIR"] == nil {
            let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/mnist").path
            if FileManager.default.fileExists(atPath: shared) { env["MNIST_DIR"] = shared }
        }
        return env
    }

    /// Runs `fluid <arguments>` in the package root; returns (exit code, stdout lines, stderr).
    static func run(_ arguments: [String], timeout: Double = 120) throws -> (Int32, [String], String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try path())
        p.arguments = arguments
        p.currentDirectoryURL = packageRoot
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes fully (a full pipe would block the child).
        let read = NIOLockedValueBox((out: Data(), err: Data()))
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            let d = out.fileHandleForReading.readDataToEndOfFile()
            read.withLockedValue { $0.out = d }
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            let d = err.fileHandleForReading.readDataToEndOfFile()
            read.withLockedValue { $0.err = d }
            group.leave()
        }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            throw NSError(domain: "fluid", code: 1, userInfo: [NSLocalizedDescriptionKey: "fluid \(arguments) timed out"])
        }
        p.waitUntilExit()
        let (outData, errData) = read.withLockedValue { ($0.out, $0.err) }
        let lines = String(decoding: outData, as: UTF8.self).split(separator: "\n").map(String.init)
        return (p.terminationStatus, lines, String(decoding: errData, as: UTF8.self))
    }
}

/// A parsed session log.
struct Session {
    var lines: [[String: Any]]

    init(_ raw: [String]) throws {
        lines = try raw.map { line in
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw NSError(domain: "fluid", code: 2, userInfo: [NSLocalizedDescriptionKey: "not a JSON object: \(line)"])
            }
            return o
        }
    }

    var header: [String: Any]? { lines.first { $0["type"] as? String == "header" } }
    var summary: [String: Any]? { lines.last { $0["type"] as? String == "summary" } }
    var samples: [[String: Any]] { lines.filter { $0["type"] as? String == "sample" } }
    var events: [[String: Any]] { lines.filter { $0["type"] as? String == "event" } }
    func events(_ name: String) -> [[String: Any]] { events.filter { $0["event"] as? String == name } }

    /// Plan events as (t, plan).
    var plans: [(t: Double, plan: String)] {
        events("plan").compactMap { e in (e["t"] as? Double).flatMap { t in (e["plan"] as? String).map { (t, $0) } } }
    }

    /// The plans from `t` on (first is the plan in force at `t`).
    func plans(after t: Double) -> [String] {
        let before = plans.last { $0.t <= t }.map { [$0.plan] } ?? []
        return before + plans.filter { $0.t > t }.map(\.plan)
    }
}
