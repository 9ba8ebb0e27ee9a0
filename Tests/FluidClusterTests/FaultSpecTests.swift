import XCTest
import FluidModel
import FluidCluster

final class FaultSpecTests: XCTestCase {
    func testParsesAndSortsByTime() throws {
        let f = try FaultSpec.parse("revive:master@10, kill:master@5,hang:worker@1.5")
        XCTAssertEqual(f, [ScheduledFault(Fault(.hang, .worker), at: 1.5), ScheduledFault(Fault(.kill, .master), at: 5),
                           ScheduledFault(Fault(.revive, .master), at: 10)])
        XCTAssertEqual(try FaultSpec.parse(""), [])
    }

    func testClearErrors() {
        for bad in ["kill:master", "explode:master@1", "kill:toaster@1", "kill:master@-1", "kill:master@x", "kill@1", "kill:master@1,,"] {
            XCTAssertThrowsError(try FaultSpec.parse(bad), bad) { e in
                XCTAssertTrue("\(e)".contains("expected ACTION:DEVICE@SECONDS"), "\(e)")
            }
        }
    }

    /// Gray failures (issue 14): `slow:DEVICE=K@S` and `unslow:DEVICE@S`.
    func testSlowAndUnslow() throws {
        let f = try FaultSpec.parse("unslow:worker@13,slow:worker=4@3,slow:MASTER=1.5@1")
        XCTAssertEqual(f, [ScheduledFault(Fault(slow: .master, factor: 1.5), at: 1),
                           ScheduledFault(Fault(slow: .worker, factor: 4), at: 3),
                           ScheduledFault(Fault(.unslow, .worker), at: 13)])
        XCTAssertEqual(f[1].fault.description, "slow:worker=4")
        XCTAssertEqual(f[2].fault.description, "unslow:worker")
        let problems: [(String, String)] = [
            ("slow:worker@3", "needs a factor"), ("slow:worker=1@3", "above 1"), ("slow:worker=0.5@3", "above 1"),
            ("slow:worker=x@3", "not a factor"), ("slow:worker=100@3", "at most 20"), ("slow:worker=nan@3", "not a factor"),
            ("slow:toaster=4@3", "unknown device 'toaster'"), ("kill:worker=4@3", "only slow takes a factor"),
            ("unslow:worker=4@3", "only slow takes a factor"),
        ]
        for (bad, problem) in problems {
            XCTAssertThrowsError(try FaultSpec.parse(bad), bad) { e in
                XCTAssertTrue("\(e)".contains(problem), "\(bad): \(e)")
                XCTAssertTrue("\(e)".contains("slow:DEVICE=K@SECONDS"), "\(e)")
            }
        }
    }
}
