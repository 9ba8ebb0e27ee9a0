import FluidVocabulary
import XCTest

final class PlanTests: XCTestCase {
    /// The wire codes are a protocol contract: a node and a source built from different
    /// commits must agree on what each byte means. Changing this table is a wire-version bump.
    func testWireCodesArePinned() {
        let table: [(Plan, UInt8)] = [
            (.ha100, 0), (.ha75, 1), (.ht, 2), (.solo50, 3), (.solo25, 4),
            (.soloU50, 5), (.soloU25, 6), (.none, 7),
            // Issue 14's plans take new codes; the ones above never move.
            (.ht25, 8), (.ht50u25, 9), (.ht25u50, 10),
        ]
        XCTAssertEqual(table.count, Plan.allCases.count, "every plan needs a pinned wire code")
        for (plan, code) in table {
            XCTAssertEqual(plan.code, code, "\(plan.rawValue)")
            XCTAssertEqual(Plan(code: code), plan)
        }
        XCTAssertEqual(Set(Plan.allCases.map(\.code)).count, Plan.allCases.count, "two plans share a code")
        XCTAssertNil(Plan(code: 200))
    }

    func testNamesAreTheSessionLogContract() {
        XCTAssertEqual(Plan.allCases.map(\.rawValue),
                       ["ha-100", "ha-75", "ht-50+u50", "ht-25+u25", "ht-50+u25", "ht-25+u50",
                        "solo-50", "solo-25", "solo-u50", "solo-u25", "none"])
    }

    func testPlainWordsNameTheDevicesAndWidths() {
        XCTAssertEqual(Plan.soloU50.plainWords, "Worker alone runs its upper half (8 channels)")
        XCTAssertEqual(Plan.solo50.plainWords, "Master alone runs its lower half (8 channels)")
        for plan in Plan.allCases {
            XCTAssertFalse(plan.plainWords.isEmpty)
            for role in plan.devices { XCTAssertTrue(plan.plainWords.contains(role.title) || plan.plainWords.contains("Both") || plan.plainWords.contains("Each"), plan.rawValue) }
            if let w = plan.job(for: .master).subnet?.width ?? plan.job(for: .worker).subnet?.width {
                XCTAssertTrue(plan.plainWords.contains("(\(w) channels)"), plan.rawValue)
            }
        }
    }

    func testJobsMatchTheFailureTable() {
        XCTAssertEqual(Plan.ht.job(for: .worker), .solo(.u50))
        XCTAssertEqual(Plan.ha100.job(for: .worker), .joint(.s100))
        XCTAssertEqual(Plan.soloU50.devices, [.worker])
        XCTAssertEqual(Plan.none.devices, [])
        XCTAssertEqual(Plan.ha100.requestTargets, [.master])
        XCTAssertEqual(Plan.ht.requestTargets, [.master, .worker])
        XCTAssertEqual(DeviceJob.joint(.s100).label, "100 (joint)")
        XCTAssertNil(DeviceJob.idle.label)
        XCTAssertEqual(Plan.ht50u25.job(for: .master), .solo(.s50))
        XCTAssertEqual(Plan.ht50u25.job(for: .worker), .solo(.u25))
        XCTAssertEqual(Plan.ht25u50.job(for: .master), .solo(.s25))
        XCTAssertEqual(Plan.ht25.requestTargets, [.master, .worker])
        XCTAssertTrue(Plan.ht25.isIndependentPair)
        XCTAssertFalse(Plan.ha75.isIndependentPair)
        XCTAssertFalse(Plan.solo50.isIndependentPair)
    }

    /// Only what a kind's weights allow: the `u` networks exist only in Fluid, Static has
    /// only `100`, and every menu holds the plans of its failure table (docs/cluster.md, "Which plan runs").
    func testMenuPerKind() {
        XCTAssertEqual(Plan.menu(for: .static), [.ha100])
        XCTAssertEqual(Set(Plan.menu(for: .dynamic)), [.ha100, .ha75, .solo50, .solo25])
        XCTAssertEqual(Plan.menu(for: .fluid).count, Plan.allCases.count - 1)
        for kind in ModelKind.allCases {
            let menu = Plan.menu(for: kind)
            XCTAssertFalse(menu.contains(.none))
            if kind != .fluid {
                XCTAssertFalse(menu.contains { p in Role.allCases.contains { p.job(for: $0).subnet?.channels.lowerBound == 8 } }, kind.rawValue)
            }
        }
    }
}
