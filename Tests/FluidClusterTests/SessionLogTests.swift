import XCTest
import FluidModel
import FluidCluster

final class SessionLogTests: XCTestCase {
    func testLinesMatchTheDesignContract() {
        let h = SessionHeader(kind: .fluid, mode: .ha, rate: nil, duration: 5, faults: "kill:master@1", weightsSHA256: "ab")
        XCTAssertTrue(h.json.serialized().hasPrefix(#"{"type":"header","format":"fluid-session","version":1,"kind":"fluid","mode":"ha""#))
        let e = SessionEvent(t: 5.02, .deviceDown(.master, cause: "kill", detectedBy: "connection-closed", detectMs: 140.25))
        XCTAssertEqual(e.json.serialized(),
                       #"{"type":"event","t":5.02,"event":"device-down","device":"master","cause":"kill","detected_by":"connection-closed","detect_ms":140.3}"#)
        let s = SessionSummary(duration: 2, sent: 10, answered: 10, predicted: 8, unavailable: 2, correct: 7,
                               duplicates: 0, redispatched: 1, failovers: [], recoveries: [], sourceCPUShare: nil)
        let j = s.json
        XCTAssertEqual(j["lost"], .int(0))
        XCTAssertEqual(j["accuracy"], .number(0.875, digits: 4))
        XCTAssertEqual(j["throughput"], .number(4, digits: 1))
    }

    func testJSONEscaping() {
        XCTAssertEqual(JSONValue.string("a\"b\\\n\u{1}").serialized(), #""a\"b\\\n\u0001""#)
    }
}
