import XCTest
import FluidModel
import FluidCluster

/// docs/cluster.md as a table: kind × alive × mode → plan.
final class PlannerTests: XCTestCase {
    func testPlannerMatchesDesignTable() {
        let both: Set<Role> = [.master, .worker], m: Set<Role> = [.master], w: Set<Role> = [.worker], no: Set<Role> = []
        let table: [(ModelKind, Set<Role>, Mode, Plan)] = [
            (.static, both, .ha, .ha100), (.static, both, .ht, .ha100),
            (.static, w, .ha, .none), (.static, m, .ha, .none), (.static, w, .ht, .none), (.static, m, .ht, .none),
            (.dynamic, both, .ha, .ha100), (.dynamic, both, .ht, .solo50),
            (.dynamic, w, .ha, .none), (.dynamic, m, .ha, .solo50), (.dynamic, w, .ht, .none), (.dynamic, m, .ht, .solo50),
            (.fluid, both, .ha, .ha100), (.fluid, both, .ht, .ht),
            (.fluid, w, .ha, .soloU50), (.fluid, m, .ha, .solo50), (.fluid, w, .ht, .soloU50), (.fluid, m, .ht, .solo50),
            (.static, no, .ha, .none), (.dynamic, no, .ht, .none), (.fluid, no, .ha, .none),
        ]
        for (kind, alive, mode, expected) in table {
            XCTAssertEqual(Planner.plan(kind: kind, alive: alive, mode: mode), expected,
                           "\(kind) alive=\(alive.map(\.rawValue).sorted()) \(mode)")
        }
    }

    func testPlanNamesAreDesignNames() {
        XCTAssertEqual(Plan.allCases.map(\.rawValue),
                       ["ha-100", "ha-75", "ht-50+u50", "ht-25+u25", "ht-50+u25", "ht-25+u50",
                        "solo-50", "solo-25", "solo-u50", "solo-u25", "none"])
    }

    /// A wanted plan runs while its devices are alive and the kind's weights allow it;
    /// otherwise the failure table decides (docs/cluster.md, "Which plan runs", stays the rule).
    func testWantedPlanYieldsToTheFailureTable() {
        let both: Set<Role> = [.master, .worker], m: Set<Role> = [.master], w: Set<Role> = [.worker]
        let table: [(ModelKind, Set<Role>, Mode, Plan, Plan)] = [
            (.fluid, both, .ha, .ht50u25, .ht50u25),
            (.fluid, both, .ha, .soloU25, .soloU25),
            (.fluid, m, .ha, .ht50u25, .solo50),          // the Worker it needs is down
            (.fluid, w, .ht, .solo25, .soloU50),          // the Master it needs is down
            (.fluid, w, .ht, .soloU25, .soloU25),
            (.dynamic, both, .ha, .ht25, .ha100),         // no u25 in Dynamic's weights
            (.dynamic, both, .ht, .ha75, .ha75),
            (.dynamic, w, .ha, .solo25, .none),
            (.static, both, .ht, .solo50, .ha100),        // Static's 50 is not a network
            (.fluid, both, .ha, .none, .ha100),           // `none` is never wanted
        ]
        for (kind, alive, mode, wanted, expected) in table {
            XCTAssertEqual(Planner.plan(kind: kind, alive: alive, mode: mode, wanted: wanted), expected,
                           "\(kind) alive=\(alive.map(\.rawValue).sorted()) \(mode) wanted \(wanted.rawValue)")
        }
        XCTAssertTrue(Planner.reason(kind: .fluid, alive: m, mode: .ha, wanted: .ht50u25).contains("a device it needs is down"))
        XCTAssertTrue(Planner.reason(kind: .dynamic, alive: both, mode: .ha, wanted: .ht25).contains("not on the dynamic menu"))
    }

    func testJobsUseOnlyOwnedRowsWhenSolo() {
        // A device alone can only run a sub-network inside the rows it holds.
        for plan in Plan.allCases {
            for role in Role.allCases {
                if case .solo(let s) = plan.job(for: role) {
                    XCTAssertTrue(role.ownedChannels.contains(s.channels.lowerBound)
                                  && s.channels.upperBound <= role.ownedChannels.upperBound, "\(plan) \(role)")
                }
            }
        }
        XCTAssertEqual(Plan.ht.requestTargets, [.master, .worker])
        XCTAssertEqual(Plan.ha100.requestTargets, [.master])
        XCTAssertEqual(Plan.soloU50.requestTargets, [.worker])
        XCTAssertEqual(Plan.none.requestTargets, [])
        XCTAssertEqual(Plan.ha75.job(for: .worker), .joint(.s75))
    }
}
