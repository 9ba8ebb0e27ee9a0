import FluidCluster
import Foundation
import XCTest

/// The cluster protocol (the real `NodeInstance`s and `SourceInstance`) under random
/// schedules of crashes, pauses, restarts, slow processes and cut, delayed or throttled
/// links, with invariants a–e of docs/cluster.md checked after every event.
///
/// `FLUID_SIM_SCHEDULES=N` sets the schedules per kind (default 10 000; modes alternate),
/// `FLUID_SIM_BASE=B` shifts the seeds (soaks), `FLUID_SIM_SEED=S` replays one schedule.
/// A failure prints one line: the seed and the schedule.
final class NetworkSimulationTests: XCTestCase {
    static var env: [String: String] { ProcessInfo.processInfo.environment }
    static var count: Int { env["FLUID_SIM_SCHEDULES"].flatMap(Int.init) ?? 10_000 }
    static var base: UInt64 { env["FLUID_SIM_BASE"].flatMap(UInt64.init) ?? 0 }
    static var replaySeed: UInt64? { env["FLUID_SIM_SEED"].flatMap(UInt64.init) }
    /// FLUID_SIM_LOSSY_CUTS=1: cuts drop frames on live connections (see SimSchedule.lossyCuts).
    static var lossy: Bool { env["FLUID_SIM_LOSSY_CUTS"] == "1" }

    func testStaticSchedules() async throws { try await runKind(.static) }
    func testDynamicSchedules() async throws { try await runKind(.dynamic) }
    func testFluidSchedules() async throws { try await runKind(.fluid) }

    /// `FLUID_SIM_SEED=S swift test --filter NetworkSimulationTests/testReplaySeed`
    func testReplaySeed() throws {
        guard let seed = Self.replaySeed else { throw XCTSkip("set FLUID_SIM_SEED to replay a schedule") }
        var s = SimSchedule.random(seed: seed)
        s.lossyCuts = Self.lossy
        let (c, events) = simulate(s, stopOnFirst: false, trace: Self.env["FLUID_SIM_TRACE"] == "1")
        print("replay: \(s.line): \(events) events, \(c.predicted) predictions, \(c.unavailable) unavailable")
        for (_, v) in c.violations.sorted(by: { $0.key < $1.key }) { print("  \(v)") }
        XCTAssertFalse(c.failed, "FLUID_SIM_SEED=\(seed) \(s.line) → \(c.first ?? "")")
    }

    /// One chunk's totals, and its failing seed if one failed.
    struct ChunkResult: Sendable {
        var events = 0, predicted = 0, unavailable = 0
        var failure: (seed: UInt64, line: String)?
    }

    func runKind(_ kind: ModelKind) async throws {
        if Self.replaySeed != nil { throw XCTSkip("replaying one seed") }
        let k = UInt64(ModelKind.allCases.firstIndex(of: kind)!)
        let n = Self.count, base = Self.base, lossy = Self.lossy
        let started = Date()
        let chunks = 2
        // Each chunk runs every chunks-th seed and returns its totals; the first failure
        // cancels the other chunks, and the smallest failing seed is reported.
        let results = await withTaskGroup(of: ChunkResult.self) { group in
            for chunk in 0..<chunks {
                group.addTask {
                    var r = ChunkResult()
                    var i = chunk
                    while i < n, !Task.isCancelled {
                        let seed = 3 * (base + UInt64(i)) + k
                        var s = SimSchedule.random(seed: seed)
                        s.lossyCuts = lossy
                        let (c, e) = simulate(s)
                        r.events += e; r.predicted += c.predicted; r.unavailable += c.unavailable
                        if c.failed {
                            r.failure = (seed, "FLUID_SIM_SEED=\(seed) \(s.line) → \(c.first ?? "")")
                            break
                        }
                        i += chunks
                    }
                    return r
                }
            }
            var all: [ChunkResult] = []
            for await r in group {
                if r.failure != nil { group.cancelAll() }
                all.append(r)
            }
            return all
        }
        let events = results.reduce(0) { $0 + $1.events }
        let predicted = results.reduce(0) { $0 + $1.predicted }
        let unavailable = results.reduce(0) { $0 + $1.unavailable }
        let failure = results.compactMap(\.failure).min { $0.seed < $1.seed }
        let t = Date().timeIntervalSince(started)
        print(String(format: "simulation %@%@: %d schedules (seeds from %llu) in %.1f s = %.0f schedules/s, %.1f M events, %d predictions, %d unavailable",
                     kind.rawValue, lossy ? " (lossy cuts)" : "", n, base, t, Double(n) / t, Double(events) / 1e6, predicted, unavailable))
        if let f = failure {
            print(f.1)
            XCTFail(f.1)
        }
    }
}
