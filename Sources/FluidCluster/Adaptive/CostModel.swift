import FluidModel

/// What the adaptive controller knows about the cluster's speed (issue 14): each device's
/// throughput and latency for every sub-network it runs alone, the pair's for each joint
/// plan, the link, every sub-network's accuracy, and each device's current speed against
/// its model. Measured: a short calibration at start (`Calibration`), then live counters
/// (`SpeedTracker.observe`). Pure values; predictions are functions of them.
public struct CostModel: Sendable, Equatable {
    public enum Origin: String, Sendable { case calibration, live }

    /// One measured figure.
    public struct Rate: Sendable, Equatable {
        /// Images/s while saturated (the capacity; never learnt from an unsaturated window).
        public var imagesPerSecond: Double
        /// Median latency of a request below saturation, ms.
        public var latencyMs: Double
        public var origin: Origin
        public init(imagesPerSecond: Double, latencyMs: Double, origin: Origin = .calibration) {
            self.imagesPerSecond = imagesPerSecond; self.latencyMs = latencyMs; self.origin = origin
        }
    }

    /// The Master ↔ Worker link as the nodes' counters and the source's round trips show it.
    public struct Link: Sendable, Equatable {
        public var rttMs: Double
        /// Megabits/s; nil: not limiting (loopback).
        public var bandwidthMbit: Double?
        public init(rttMs: Double, bandwidthMbit: Double? = nil) { self.rttMs = rttMs; self.bandwidthMbit = bandwidthMbit }
    }

    /// Per device, per sub-network it runs alone.
    public var solo: [Role: [Subnet: Rate]] = [:]
    /// Joint plans (`ha-100`, `ha-75`): the pair's figures.
    public var joint: [Plan: Rate] = [:]
    public var link: Link?
    /// Test accuracy of every sub-network (0…1), from the weight file's metadata.
    public var accuracy: [Subnet: Double] = [:]
    /// Each device's measured speed against its model: 1 as calibrated, 0.25 four times
    /// slower (a device at 1 is absent). Set by `SpeedTracker`.
    public var speed: [Role: Double] = [:]
    /// Images per request frame: a request waits for its frame's computation.
    public var batchSize: Int

    /// Activation bytes per image on the busier direction of the link in a joint plan: the
    /// Master's 8 channels after conv1 (pooled 14×14) and conv2 (pooled 7×7), float32
    /// (the same in `ha-75`, where only the Worker's direction shrinks).
    public static let jointBytesPerImage = Double((14 * 14 + 7 * 7) * 8 * 4)

    public init(batchSize: Int = 32) { self.batchSize = batchSize }

    public func speed(of d: Role) -> Double { speed[d] ?? 1 }

    /// The model's rate for `job` on `d` as calibrated or learnt (healthy speed).
    public func modelRate(_ d: Role, _ s: Subnet) -> Rate? { solo[d]?[s] }

    // MARK: predictions

    /// Images/s the plan serves when saturated, at the devices' current speeds; nil when a
    /// figure it needs was never measured.
    public func capacity(_ p: Plan) -> Double? {
        switch p.job(for: .master) {
        case .joint:
            guard let r = joint[p] else { return nil }
            // The faster device waits for the slower one on every image.
            var c = r.imagesPerSecond * min(speed(of: .master), speed(of: .worker))
            if let bw = link?.bandwidthMbit { c = min(c, bw * 1e6 / 8 / Self.jointBytesPerImage) }
            return c
        default:
            var total = 0.0
            for d in p.devices {
                guard let s = p.job(for: d).subnet, let r = solo[d]?[s] else { return nil }
                total += r.imagesPerSecond * speed(of: d)
            }
            return p.devices.isEmpty ? nil : total
        }
    }

    /// Share of the images each device answers in an independent plan (the source's
    /// credits follow the devices' measured speeds); 1 for the device of a solo plan.
    public func shares(_ p: Plan) -> [Role: Double] {
        guard p.isIndependentPair else { return Dictionary(uniqueKeysWithValues: p.requestTargets.map { ($0, 1.0) }) }
        var rates: [Role: Double] = [:]
        for d in p.devices {
            guard let s = p.job(for: d).subnet, let r = solo[d]?[s] else { return [.master: 0.5, .worker: 0.5] }
            rates[d] = r.imagesPerSecond * speed(of: d)
        }
        let total = rates.values.reduce(0, +)
        guard total > 0 else { return [.master: 0.5, .worker: 0.5] }
        return rates.mapValues { $0 / total }
    }

    /// Expected accuracy (0…1): an independent pair's is its halves' weighted by their shares.
    public func accuracy(_ p: Plan) -> Double? {
        if case .joint(let s) = p.job(for: .master) { return accuracy[s] }
        var a = 0.0
        for (d, share) in shares(p) {
            guard let s = p.job(for: d).subnet, let x = accuracy[s] else { return nil }
            a += share * x
        }
        return p.devices.isEmpty ? nil : a
    }

    /// Latency of one request below saturation, ms: the slowest device it may wait for,
    /// stretched by that device's slowdown (a K× slower device takes K× as long).
    public func baseLatencyMs(_ p: Plan) -> Double? {
        if p.isJoint {
            guard let r = joint[p] else { return nil }
            return r.latencyMs / min(speed(of: .master), speed(of: .worker)) + (link?.rttMs ?? 0)
        }
        var worst: Double?
        for d in p.devices {
            guard let s = p.job(for: d).subnet, let r = solo[d]?[s] else { return nil }
            worst = max(worst ?? 0, r.latencyMs / speed(of: d))
        }
        return worst
    }

    /// p99 latency at `offered` images/s, ms (∞ at or above capacity). A heuristic, not a
    /// queueing law: the base latency plus the time to compute a frame, inflated by
    /// 1/(1 − ρ) as the utilisation ρ approaches 1 (a queue's tail grows like M/D/1's).
    /// The controller checks the running plan against its *measured* p99 as well.
    public func predictedP99Ms(_ p: Plan, offered: Double) -> Double? {
        guard let c = capacity(p), let base = baseLatencyMs(p) else { return nil }
        guard c > 0 else { return .infinity }
        let rho = offered / c
        guard rho < 0.98 else { return .infinity }
        // A request waits for its frame on the device that computes it: in a pair, the
        // slower device's frame time bounds the tail.
        var slowest = c
        if !p.isJoint {
            for d in p.devices {
                if let s = p.job(for: d).subnet, let r = solo[d]?[s] { slowest = min(slowest, r.imagesPerSecond * speed(of: d)) }
            }
        }
        let frameMs = Double(batchSize) / max(slowest, 1e-9) * 1000
        return base + frameMs * (1 + 2 * rho / (1 - rho))
    }
}
