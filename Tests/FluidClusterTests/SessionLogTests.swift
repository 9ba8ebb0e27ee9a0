import Foundation
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
        // A kind switch names the new weight file, so a log says what every part ran on.
        XCTAssertEqual(SessionEvent(t: 2, .kind(.static, weightsSHA256: "cd")).json.serialized(),
                       #"{"type":"event","t":2.0,"event":"kind","kind":"static","weights_sha256":"cd"}"#)
        let s = SessionSummary(duration: 2, sent: 10, answered: 10, predicted: 8, unavailable: 2, correct: 7,
                               duplicates: 0, redispatched: 1, failovers: [], recoveries: [], sourceCPUShare: nil)
        let j = s.json
        XCTAssertEqual(j["lost"], .int(0))
        XCTAssertEqual(j["accuracy"], .number(0.875, digits: 4))
        XCTAssertEqual(j["throughput"], .number(4, digits: 1))
    }

    /// What the cluster writes, the replay reads: one JSONValue and one set of log records
    /// (FluidLog) on both sides, so a field the writer adds reaches the reader.
    func testWrittenLinesParseBack() throws {
        let header = SessionHeader(kind: .dynamic, mode: .ht, rate: 250, duration: 3, faults: "kill:worker@1",
                                   weightsSHA256: String(repeating: "7c", count: 32), extra: [("batch", .int(32))])
        let device = DeviceSample(state: .hung, imagesPerSecond: 1234.56, heartbeatAgeMs: 210.04, pid: 42)
        let sample = Sample(t: 1.0004, throughput: 987.6, accuracy: 0.98125, unavailablePerSecond: 0, plan: .solo50, mode: .ht,
                            master: DeviceSample(state: .up, imagesPerSecond: 987.6), worker: device,
                            latencyP50Ms: 1.5, latencyP99Ms: nil, sent: 1000, answered: 990, outstanding: 10,
                            sourceBytesOut: 7, sourceBytesIn: 8, offeredRate: 250)
        let event = SessionEvent(t: 1.2, .deviceDown(.worker, cause: "kill", detectedBy: "connection-closed", detectMs: 3.25))
        let summary = SessionSummary(duration: 3, sent: 1000, answered: 1000, predicted: 990, unavailable: 10, correct: 970,
                                     duplicates: 0, redispatched: 4, failovers: [], recoveries: [], sourceCPUShare: 0.1)
        let text = [header.json, sample.json, event.json, summary.json].map { $0.serialized() }.joined(separator: "\n")
        let log = try SessionLogParser.parse(Data(text.utf8), name: "written.jsonl")

        XCTAssertEqual(log.header.version, SessionLog.version)
        XCTAssertEqual(log.header.fields["kind"]?.string, "dynamic")
        XCTAssertEqual(log.header.fields["weights_sha256"]?.string, String(repeating: "7c", count: 32))
        XCTAssertEqual(log.header.fields["batch"]?.int, 32)
        XCTAssertEqual(log.samples.count, 1)
        let s = try XCTUnwrap(log.samples.first)
        XCTAssertEqual(s.plan, .solo50)
        XCTAssertEqual(s.throughput, 987.6)
        XCTAssertEqual(s.accuracy, 0.9813)  // written with 4 decimals
        XCTAssertEqual(s.devices[.worker]?.state, .hung)
        XCTAssertEqual(s.devices[.worker]?.fields["img_s"]?.double, 1234.6)
        XCTAssertEqual(s.devices[.worker]?.fields["pid"]?.int, 42)
        XCTAssertEqual(s.fields["latency_p99_ms"], .null)
        XCTAssertEqual(log.events.map(\.event), ["device-down"])
        XCTAssertEqual(log.events.first?.fields["detect_ms"]?.double, 3.3)
        XCTAssertEqual(log.summary?.fields["lost"]?.int, 0)
        XCTAssertEqual(log.summary?.fields["accuracy"]?.double, 0.9798)
    }

    func testJSONEscaping() {
        XCTAssertEqual(JSONValue.string("a\"b\\\n\u{1}").serialized(), #""a\"b\\\n\u0001""#)
    }
}
