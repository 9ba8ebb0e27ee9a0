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
                       ["ha-100", "ha-75", "ht-50+u50", "solo-50", "solo-25", "solo-u50", "solo-u25", "none"])
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
