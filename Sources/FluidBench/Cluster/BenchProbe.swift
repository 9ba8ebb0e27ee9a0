import FluidCluster
import FluidModel
import FluidTransport
import Foundation

/// What one measuring window saw, taken from outside the cluster through the controller's
/// public counters (the same numbers the dashboard shows).
public struct WindowMeasurement: Sendable, Codable, Equatable {
    /// Predictions per second over the fixed window.
    public var imagesPerSecond: Double
    /// Unavailable answers per second over the window.
    public var unavailablePerSecond: Double
    /// Correct ÷ predicted over `accuracyImages` predictions (nil when there were none).
    public var accuracy: Double?
    public var accuracyImages: Int
    public var windowSeconds: Double
    public var predicted: Int
    public var unavailable: Int
    /// Cores used during the window (CPU seconds ÷ wall seconds) by the source (this
    /// process) and each node process; nil when a node was not running.
    public var cpuSource: Double
    public var cpuMaster: Double?
    public var cpuWorker: Double?
    /// Plan the leader announced at the end of the window.
    public var plan: String
    /// A device was declared down or the plan changed during the window (e.g. a heartbeat
    /// starved by other work on the machine): the figures mix two plans.
    public var disturbed: Bool
}

/// Measuring helpers over a running `ClusterController`.
public enum BenchProbe {
    public struct Timeout: Error, CustomStringConvertible {
        public var what: String
        public var description: String { "timed out waiting for \(what)" }
    }

    /// Waits until `ok` holds for the cluster (checked on the controller's loop every
    /// tick), or throws after `timeout` seconds.
    public static func wait(_ c: ClusterController, for what: String, timeout: Double,
                            _ ok: @escaping @Sendable (ClusterSnapshot) -> Bool) async throws {
        do {
            try await c.wait(until: ok, timeout: timeout) { s in
                "\(what) (plan \(s.plan.rawValue), master \(s.master.state.rawValue), worker \(s.worker.state.rawValue))"
            }
        } catch ClusterError.startTimeout(let why) {
            throw Timeout(what: why)
        }
    }

    /// Waits until the devices in `down` are declared down, the others up, and the leader
    /// announced `plan`. A plan of `.none` also counts when the source answers unavailable
    /// by itself because no device set can serve.
    public static func waitForPlan(_ c: ClusterController, _ plan: Plan, down: Set<Role> = [], timeout: Double = 10) async throws {
        try await wait(c, for: "plan \(plan.rawValue)", timeout: timeout) { s in
            for r in Role.allCases {
                let isUp = s.device(r).state == .up
                if down.contains(r) == isUp { return false }
            }
            return s.plan == plan
        }
    }

    /// Warm-up, then a fixed window for throughput; accuracy keeps counting after the
    /// window until `accuracyImages` predictions were seen or `accuracyCap` seconds passed
    /// since the window began.
    public static func measure(_ c: ClusterController, warmup: Double, window: Double,
                               accuracyImages: Int, accuracyCap: Double) async -> WindowMeasurement {
        await sleep(seconds: warmup)
        let s0 = c.snapshot()
        let t0 = Date()
        let cpu0 = CPUClock.read(pids: s0.master.pid, s0.worker.pid)
        await sleep(seconds: window)
        let s1 = c.snapshot()
        let dt = Date().timeIntervalSince(t0)
        let cpu1 = CPUClock.read(pids: s0.master.pid, s0.worker.pid)
        let predicted = s1.predicted - s0.predicted
        // A stopped plan predicts nothing: no point waiting for its accuracy.
        let remaining = accuracyCap - Date().timeIntervalSince(t0)
        if predicted > 0, s1.predicted - s0.predicted < accuracyImages, remaining > 0 {
            let enough = s0.predicted + accuracyImages
            try? await c.wait(until: { $0.predicted >= enough }, timeout: remaining) { _ in "accuracy images" }
        }
        let last = c.snapshot()
        let unavailable = s1.unavailable - s0.unavailable
        let accPredicted = last.predicted - s0.predicted
        let accCorrect = last.correct - s0.correct
        func share(_ a: Double?, _ b: Double?) -> Double? {
            guard let a, let b, cpu1.wall > cpu0.wall else { return nil }
            return (b - a) / (cpu1.wall - cpu0.wall)
        }
        return WindowMeasurement(
            imagesPerSecond: Double(predicted) / dt, unavailablePerSecond: Double(unavailable) / dt,
            accuracy: accPredicted > 0 ? Double(accCorrect) / Double(accPredicted) : nil,
            accuracyImages: accPredicted, windowSeconds: dt, predicted: predicted, unavailable: unavailable,
            cpuSource: share(cpu0.source, cpu1.source) ?? 0,
            cpuMaster: share(cpu0.nodes[0], cpu1.nodes[0]), cpuWorker: share(cpu0.nodes[1], cpu1.nodes[1]),
            plan: s1.plan.rawValue,
            disturbed: s1.failovers.count != s0.failovers.count || s1.plan != s0.plan || s1.planEpoch != s0.planEpoch)
    }

    static func sleep(seconds: Double) async {
        guard seconds > 0 else { return }
        try? await Task.sleep(nanoseconds: UInt64(min(seconds, 4000) * 1e9))
    }
}

/// CPU seconds of this process and of other processes (Linux /proc), with a wall clock.
enum CPUClock {
    struct Reading { var wall: Double; var source: Double; var nodes: [Double?] }

    static func read(pids: Int32?...) -> Reading {
        Reading(wall: Double(DispatchTime.now().uptimeNanoseconds) / 1e9, source: processCPUSeconds(),
                nodes: pids.map { $0.flatMap(cpuSeconds(pid:)) })
    }

    /// utime + stime of `pid` from /proc/PID/stat (fields 14 and 15, clock ticks).
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name start at field 3 (state).
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let u = Double(fields[11]), let s = Double(fields[12]) else { return nil }
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (u + s) / (hz > 0 ? hz : 100)
    }
}

/// Pins each node process to its own core (all its threads), so that a "device" is one
/// core as on the paper's boards: on a 2-core machine an unpinned node would spread its
/// event loop and compute thread over both cores and leave the other device nothing.
/// The source stays unpinned and takes what is idle. Uses util-linux `taskset -a -p`.
public enum CorePinning {
    /// Pins the Master to core 0 and the Worker to core 1 (when running). Returns a note
    /// saying what was done, for the report.
    @discardableResult
    public static func pinNodes(_ c: ClusterController) -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard cores >= 2 else { return "not pinned (\(cores) core)" }
        let s = c.snapshot()
        var done: [String] = []
        for (r, core) in [(Role.master, 0), (.worker, 1)] {
            guard let pid = s.device(r).pid else { continue }
            if pin(pid: pid, core: core) { done.append("\(r.rawValue)→cpu\(core)") }
        }
        return done.isEmpty ? "not pinned (taskset failed)" : done.joined(separator: ", ")
    }

    /// `taskset -a -p -c CORE PID`: every thread of the process, and threads it makes later.
    public static func pin(pid: Int32, core: Int) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["taskset", "-a", "-p", "-c", String(core), String(pid)]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}
