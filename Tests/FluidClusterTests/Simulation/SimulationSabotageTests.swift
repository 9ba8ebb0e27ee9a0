import FluidCluster
import XCTest

/// Each invariant's checker catches a deliberately broken cluster: no checker passes
/// vacuously. The same seeds pass without the sabotage (NetworkSimulationTests).
final class SimulationSabotageTests: XCTestCase {
    /// Runs random schedules with `sabotage` until invariant `letter` is violated; returns
    /// the first violation line (nil if none of `tries` schedules shows it).
    func firstViolation(_ letter: Character, _ sabotage: Sabotage, tries: Int = 400, seeds: (Int) -> UInt64 = { UInt64($0) }) -> String? {
        for i in 0..<tries {
            let s = SimSchedule.random(seed: seeds(i))
            let (c, _) = simulate(s, sabotage: sabotage, stopOnFirst: false)
            if let v = c.violations[letter] { return "\(s.line) → \(v)" }
        }
        return nil
    }

    func testAnswerTwiceIsCaught() {
        let v = firstViolation("a", .answerTwiceBypassLedger)
        XCTAssertNotNil(v); print("caught: \(v ?? "-")")
        XCTAssertTrue(v?.contains("answered twice") ?? false)
    }

    func testLostAnswerIsCaught() {
        let v = firstViolation("a", .loseAnswers)
        XCTAssertNotNil(v); print("caught: \(v ?? "-")")
        XCTAssertTrue(v?.contains("never answered") ?? false)
    }

    func testMixedEpochJointAnswerIsCaught() {
        let v = firstViolation("b", .workerStaleEngine)
        XCTAssertNotNil(v); print("caught: \(v ?? "-")")
        XCTAssertTrue(v?.contains("mixes epochs") ?? false)
    }

    func testEpochTieIsCaught() {
        let v = firstViolation("c", .tieEpochs)
        XCTAssertNotNil(v); print("caught: \(v ?? "-")")
        XCTAssertTrue(v?.contains("names") ?? false)
    }

    func testIgnoredDeadlineIsCaught() {
        let v = firstViolation("d", .ignoreDeadline)
        XCTAssertNotNil(v); print("caught: \(v ?? "-")")
    }

    func testNoReplanAfterHealIsCaught() {
        // A Worker restart is the simplest heal: the Master must re-plan when it returns.
        let s = SimSchedule(seed: 1, kind: .fluid, mode: .ha, faults: [(300 * simMs, .restart(.worker))])
        let (c, _) = simulate(s, sabotage: .noReplanAfterHeal, stopOnFirst: false)
        XCTAssertNotNil(c.violations["e"]); print("caught: \(c.violations["e"] ?? "-")")
        let (ok, _) = simulate(s)
        XCTAssertFalse(ok.failed, ok.first ?? "")
        XCTAssertNotNil(firstViolation("e", .noReplanAfterHeal))
    }
}
