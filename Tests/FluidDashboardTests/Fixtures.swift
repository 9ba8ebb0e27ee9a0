import FluidDashboard

/// Hand-made cluster states the tests render.
enum Fixtures {
    /// Fluid in HA after the Master was killed: the Worker leads and runs `u50` alone.
    static func masterDown() -> DashboardSnapshot {
        var s = DashboardSnapshot(kind: .fluid, mode: .ha, plan: .soloU50, planReason: "master down",
                                  sessionTime: 83.4, throughput: 1234.5, accuracy: 0.9912,
                                  accuracyCount: 25_000, health: .degraded, offeredRate: 2000, recording: true)
        s.master = DeviceStatus(name: .master, state: .down)
        s.worker = DeviceStatus(name: .worker, state: .up, isLeader: true, job: .solo(.u50),
                                imagesPerSecond: 1234.5, answersPerSecond: 1234.5, latencyP50ms: 1.23, latencyP99ms: 4.5,
                                heartbeatAgeMs: 12, bytesSent: 123_456, bytesReceived: 9_876_543)
        s.throughputHistory = (0..<60).map { Double(1000 + ($0 % 7) * 50) }
        s.accuracyHistory = (0..<60).map { 0.98 + Double($0 % 5) * 0.002 }
        s.events = [
            DashboardEvent(sequence: 1, time: 0.1, text: "plan ha-100: both devices up", severity: .recovery),
            DashboardEvent(sequence: 2, time: 5.02, text: "Master down (kill) · detected in 140 ms",
                           severity: .failure, isMarker: true),
            DashboardEvent(sequence: 3, time: 5.03, text: "plan solo-u50: master down", severity: .warning,
                           isMarker: true),
        ]
        s.counters = RequestCounters(sent: 12345, answered: 12340, unavailable: 5, inFlight: 5)
        return s
    }

    /// Both up, HA-100, nothing recorded.
    static func healthy() -> DashboardSnapshot {
        var s = DashboardSnapshot(kind: .static, mode: .ha, plan: .ha100, planReason: "both devices up",
                                  sessionTime: 12, throughput: 800, accuracy: 0.987)
        s.master = DeviceStatus(name: .master, state: .up, isLeader: true, job: .joint(.s100),
                                imagesPerSecond: 800)
        s.worker = DeviceStatus(name: .worker, state: .hung)
        return s
    }

    /// Both devices down under Fluid: nothing serves, the last announced plan was ha-100.
    static func bothDown() -> DashboardSnapshot {
        var s = DashboardSnapshot(kind: .fluid, mode: .ha, plan: .none, planReason: "both devices down",
                                  sessionTime: 20, throughput: 0, accuracy: nil, health: .outage,
                                  unavailableRate: 6_300)
        s.master = DeviceStatus(name: .master, state: .down, isLeader: false)
        s.worker = DeviceStatus(name: .worker, state: .down, isLeader: false)
        s.throughputHistory = [1000, 1000, 0, 0]
        s.unavailableHistory = [0, 0, 6300, 6300]
        s.counters = RequestCounters(sent: 200_000, answered: 199_990, predicted: 100_000, unavailable: 99_990, inFlight: 10)
        return s
    }

    /// A session log in the format FluidCluster writes (docs/cli.md plus its extra
    /// fields), with a field and a record type this reader does not know.
    static let sessionLog = """
    {"type":"header","format":"fluid-session","version":1,"kind":"fluid","mode":"ha","rate":null,"faults":"kill:master@2","weights_sha256":"ab","future":{"x":1}}
    {"type":"sample","t":1.0,"throughput":1200.5,"accuracy":0.991,"unavailable":0,"plan":"ha-100","mode":"ha","devices":{"master":{"state":"up","img_s":1200.5,"heartbeat_age_ms":12.5,"peer_bytes_out_total":1000,"peer_bytes_in_total":2000,"pid":11,"answers_s":1200.5,"latency_p50_ms":1.5,"latency_p99_ms":4.25},"worker":{"state":"up","img_s":1200.5,"heartbeat_age_ms":9,"peer_bytes_out_total":2000,"peer_bytes_in_total":1000,"pid":12}},"health":"full","leader":"master","latency_p50_ms":1.5,"latency_p99_ms":4.25,"sent_total":1210,"answered_total":1200,"predicted_total":1200,"unavailable_total":0,"outstanding":10,"offered_rate":null}

    {"type":"event","t":2.0,"event":"fault","action":"kill","device":"master"}
    {"type":"event","t":2.14,"event":"device-down","device":"master","cause":"kill","detected_by":"connection-closed","detect_ms":140.2}
    {"type":"event","t":2.15,"event":"plan","plan":"solo-u50","reason":"master down","epoch":2,"leader":"worker","since_fault_ms":150.5}
    {"type":"telemetry","t":2.5,"whatever":true}
    {"type":"sample","t":3.0,"throughput":900,"accuracy":0.985,"unavailable":0,"plan":"solo-u50","mode":"ha","devices":{"master":{"state":"down","img_s":0},"worker":{"state":"up","img_s":900,"answers_s":900}},"health":"degraded","leader":"worker","sent_total":2300,"answered_total":2290,"predicted_total":2290,"unavailable_total":0,"outstanding":10}
    {"type":"summary","duration":3.2,"sent":2400,"answered":2400,"predicted":2400,"unavailable":0,"lost":0,"correct":2370,"accuracy":0.9875,"throughput":750,"failovers":[{"device":"master","cause":"kill","detect_ms":140.2,"resume_ms":150.5}]}
    """
}

extension Screen {
    /// Every row, for failure messages.
    var dump: String { "\n" + text }
}
