import FluidModel

/// The source's side of the protocol as a pure instance: which devices it reaches, which
/// plan each of them runs, where each request goes, the exactly-once ledger, deadlines.
/// Events go in with the time; directives come out; `ClusterController` (the NIO shell)
/// carries them out, and the network simulator in the tests drives the same instance.
///
/// The source never re-derives the nodes' rules: it follows the plans the nodes announce.
/// Each node relays the plan it runs (its own as leader, the leader's as follower). For a
/// device `d` the source reaches, the plan that governs `d` is the newest one (by epoch)
/// among the plans relayed by reachable nodes that were issued by `d` or name `d`. So:
/// - both devices up and joined: both relay the Master's plan;
/// - Master ↔ Worker cut (both reachable): each leads itself, each plan names only its own
///   device, and the source serves each device by its own plan — for Fluid `50` on the
///   Master and `u50` on the Worker, the effect of `ht-50+u50` without a link between them;
/// - source ↔ Master cut with a joint plan: the Worker's job is joint, which it cannot do
///   for this source without the Master, so the source sends it *standalone* requests: the
///   node runs whatever it can run alone (Fluid `u50`, Dynamic and Static: *unavailable*).
/// A request waits at most `deadline` (default 1 s): then the source answers it
/// *unavailable* itself, and a later answer is a duplicate.
///
/// Credits adapt to the deadline (AIMD, like TCP's window): each device may have at most
/// `credit` images in flight, halved when its answers take longer than half the deadline
/// and grown by a few images per answered frame while they take less than a quarter. On a
/// fast link the credit sits at its maximum; on a slow one (HA over a 2 Mbit/s link) it
/// shrinks until a request can cross the link and back within the deadline, instead of
/// queueing ten seconds of work that would all expire.
public struct SourceInstance {
    public struct Settings: Sendable, Equatable {
        /// Longest a request waits for its answer before the source answers it *unavailable*
        /// (invariant d). 1 s: a failover takes ≤ 0.5 s, so a request that waits longer is
        /// stuck behind something no re-route will fix.
        public var deadline: Duration = .seconds(1)
        /// Images per request frame.
        public var batchSize = 128
        /// Frames in flight per device (credit window).
        public var windowBatches = 4
        /// After a reject, a device gets no new requests for this long (or until a new plan).
        public var rejectBackoff: Duration = .milliseconds(20)
        public init() {}
    }

    /// What the source does with a device.
    public enum Route: Equatable, Sendable {
        /// Requests go to it under `plan` (joint plans: to the Master only).
        case serve(Plan)
        /// It cannot serve this source under its plan, but may alone (see above).
        case standalone
    }

    public enum Directive: Equatable, Sendable {
        case sendHeartbeat(Role)
        /// Send these ids to `device` (`standalone`: run whatever you can alone).
        case send(Role, ids: [UInt64], standalone: Bool)
        /// The device is declared dead (closes its connection if still open).
        case markDown(Role, cause: FailureDetector<Role>.Cause, silentNanos: UInt64)
        /// These ids were answered *unavailable* by the source (no device can serve, or the deadline passed).
        case answeredUnavailable([UInt64], reason: UnavailableReason)
        /// Tell `device` the mode (and plan) the source wants (its relayed plan was planned
        /// with another: a `setMode` was lost, or sent before the node could act on it).
        case sendMode(Role, ModeRequest)
        /// The plan served changed. `epoch` is the epoch of the leader's plan when the plan
        /// served is exactly that plan; nil when it is the combined effect of two leaders'
        /// plans (a Master ↔ Worker partition), a part of one (a device unreachable), or a
        /// standalone service: so no two different plans are ever reported with one epoch.
        case served(Plan, reason: String, epoch: UInt64?)
        case log(String)
    }

    public enum UnavailableReason: String, Sendable { case noPlan = "no plan can run", deadline = "deadline" }

    public private(set) var kind: ModelKind
    public var settings: Settings
    /// The mode the source asks for (nil: whatever the nodes run). A node whose relayed plan
    /// runs another mode is told again, so one lost `setMode` cannot pin the cluster.
    public var wantedMode: Mode?
    /// The plan the source wants the leader to run (issue 14: pinned, or the adaptive
    /// controller's choice); nil: the failure table for the mode. Told again like the mode.
    public var wantedPlan: Plan?
    /// Each device's share of the pair's measured speed (0…1, issue 14), nil: equal. In an
    /// independent plan a device's credit is this share of the window, so a device that is
    /// K× slower holds K× fewer images in flight: the source's pull then gives each device
    /// work at its own pace and a request waits about as long on either.
    public var speedShare: [Role: Double] = [:]
    var lastModeNudge: [Role: UInt64] = [:]
    public private(set) var ledger = RequestTracker()
    var detector: FailureDetector<Role>
    /// Devices whose handshake completed and that were not declared dead since.
    public private(set) var reachable: Set<Role> = [] { didSet { cachedRoutes = nil } }
    /// The newest plan each reachable node relayed.
    public private(set) var relayed: [Role: PlanAnnouncement] = [:] { didSet { cachedRoutes = nil } }
    /// `routes()` depends on `reachable` and `relayed` only; the source asks for it after
    /// every frame, so it is computed once per change.
    var cachedRoutes: [Role: Route]?
    var backoffUntil: [Role: UInt64] = [:]
    /// The first id of the partial frame last sent to each device (see `pump`).
    var partialFrame: [Role: UInt64] = [:]
    /// Images each device may have in flight (see the type's comment).
    public private(set) var credit: [Role: Int] = [:]
    var lastDecrease: [Role: UInt64] = [:]
    /// Requests that expired while in flight on a device and that it has not answered yet:
    /// they still occupy it (its queue, its link), so they still count against its credit
    /// until their late answers arrive. Otherwise a drowning device would be fed a fresh
    /// request for every one that expired, and its queue would never drain.
    public private(set) var ghosts: [Role: Int] = [:]
    /// Each device's recent time from send to answer (ns; the slowest of a frame, smoothed):
    /// a request older than the deadline minus the fastest device's is shed, not sent.
    public private(set) var serviceTime: [Role: UInt64] = [:]
    public var maxCredit: Int { settings.windowBatches * settings.batchSize }
    /// The plan served as last reported (`served` directive).
    public private(set) var served: Plan = .none
    /// Epoch of the leader's plan served as it is (see `Directive.served`), nil otherwise.
    public private(set) var servedEpoch: UInt64?

    public init(kind: ModelKind, settings: Settings = Settings(), cluster: ClusterSettings = ClusterSettings()) {
        self.kind = kind; self.settings = settings
        detector = FailureDetector(settings: cluster)
    }

    public func isReachable(_ d: Role) -> Bool { reachable.contains(d) }
    public func silence(of d: Role, now: UInt64) -> UInt64? { detector.silence(of: d, now: now) }

    // MARK: routing (pure queries)

    /// The plan that governs device `d` (see the type's comment), nil if none.
    public func governing(_ d: Role) -> PlanAnnouncement? {
        var best: PlanAnnouncement?
        for (x, a) in relayed where reachable.contains(x) {
            guard x == d || a.leader == d || a.plan.devices.contains(d) else { continue }
            if a.epoch > (best?.epoch ?? 0) || best == nil { best = a }
        }
        return best
    }

    /// Where requests go now, per reachable device.
    public mutating func currentRoutes() -> [Role: Route] {
        if let r = cachedRoutes { return r }
        let r = routes()
        cachedRoutes = r
        return r
    }

    /// Where requests go now, per reachable device (computed; see `currentRoutes`).
    public func routes() -> [Role: Route] {
        var out: [Role: Route] = [:]
        for d in Role.allCases where reachable.contains(d) {
            guard let a = governing(d) else { continue }
            switch a.plan.job(for: d) {
            case .solo: out[d] = .serve(a.plan)
            case .joint:
                if d == .master {
                    // A joint plan needs the Worker in it: when the source hears the Worker
                    // run a different plan (it led alone while the Master was paused, say),
                    // the Master's joint plan is stale until the Worker follows it again.
                    if !reachable.contains(.worker) || governing(.worker)?.epoch == a.epoch { out[d] = .serve(a.plan) }
                }
                else if !reachable.contains(.master) || governing(.master).map({ !$0.plan.isJoint }) == true {
                    // Joint requests enter at the Master, which this source cannot reach.
                    out[d] = .standalone
                }
            case .idle:
                break
            }
        }
        if out.values.contains(where: { if case .serve = $0 { return true } else { return false } }) {
            // Another device serves: a standalone route to a device that can run nothing
            // alone would only earn *unavailable* answers. (It happened for the moment a
            // Worker still relays the joint plan the Master just left for `solo-50`:
            // Dynamic answered 128 requests unavailable during a calibration.)
            for (d, r) in out where r == .standalone && Planner.plan(kind: kind, alive: [d], mode: .ht) == .none { out[d] = nil }
        }
        if out.isEmpty {
            // Nobody serves under the plans: a device this source reaches whose plan is
            // not `none` is asked to serve alone (e.g. the Worker while the Master is
            // unreachable in Dynamic's `solo-50`: it answers *unavailable*).
            for d in Role.allCases where reachable.contains(d) {
                if let a = governing(d), a.plan != .none { out[d] = .standalone }
            }
        }
        return out
    }

    /// The plan whose effect is served: the jobs the routes run, named (`none` if nothing is served).
    public func servedPlan() -> Plan {
        var master: DeviceJob = .idle, worker: DeviceJob = .idle
        for (d, r) in routes() {
            let job: DeviceJob
            switch r {
            case .serve(let p): job = p.job(for: d)
            case .standalone: job = Planner.plan(kind: kind, alive: [d], mode: .ht).job(for: d)
            }
            if d == .master { master = job } else { worker = job }
        }
        return Plan.serving(master: master, worker: worker)
    }

    // MARK: events

    /// Both nodes restart on `kind`'s weights: their plans are void; outstanding requests
    /// stay in the ledger and are served once the new plan is announced.
    public mutating func reset(kind: ModelKind) {
        self.kind = kind
        relayed.removeAll()
        backoffUntil.removeAll()
    }

    /// A new request; returns its id.
    public mutating func submit(now: UInt64) -> UInt64 { ledger.submit(now: now) }

    /// The node's handshake completed.
    public mutating func connected(_ d: Role, now: UInt64) -> [Directive] {
        var out = note(now)
        reachable.insert(d)
        relayed[d] = nil
        backoffUntil[d] = nil
        credit[d] = nil
        lastDecrease[d] = nil
        ghosts[d] = nil
        detector.watch(d, now: now)
        out += refresh(now: now)
        return out
    }

    /// Any bytes from `d`.
    public mutating func heard(_ d: Role, now: UInt64) { detector.onHeard(from: d, now: now) }

    /// The connection to `d` closed.
    public mutating func closed(_ d: Role, now: UInt64) -> [Directive] {
        var out = note(now)
        if let dd = detector.onConnectionClosed(d, now: now) { out += carryOut(dd, now: now) }
        return out
    }

    /// `d` relayed the plan it runs.
    public mutating func plan(_ a: PlanAnnouncement, from d: Role, now: UInt64) -> [Directive] {
        var out = note(now)
        guard reachable.contains(d) else { return out }
        if let m = wish(for: a) { out.append(.sendMode(d, m)) }
        if let old = relayed[d], old.epoch >= a.epoch { return out } // never back to an older plan
        relayed[d] = a
        backoffUntil.removeAll()
        out += refresh(now: now)
        return out
    }

    /// Answers from `d`; returns per id the outcome (accepted answers count once).
    public mutating func answers(ids: [UInt64], labels: [Int8], from d: Role, now: UInt64) -> [(id: UInt64, label: Int8, latencyNanos: UInt64)] {
        var accepted: [(id: UInt64, label: Int8, latencyNanos: UInt64)] = []
        accepted.reserveCapacity(ids.count)
        var slowest: UInt64 = 0, late = 0
        for (id, label) in zip(ids, labels) {
            let service = ledger.serviceTime(of: id, now: now)
            if case .accepted(let l) = ledger.onAnswer(id, label: label, from: d, now: now) {
                accepted.append((id, label, l)); slowest = max(slowest, service ?? l)
            } else {
                late += 1
            }
        }
        if late > 0, let g = ghosts[d] { ghosts[d] = max(0, g - late) }
        if !accepted.isEmpty {
            // Credits follow the device's own time (send → answer), not the time a request
            // waited at the source: under overload the source's queue is long while every
            // device answers in time, and halving the credits for it would collapse the
            // throughput exactly when it is needed.
            adaptCredit(d, slowest: slowest, answered: accepted.count, now: now)
            serviceTime[d] = serviceTime[d].map { ($0 * 3 + slowest) / 4 } ?? slowest
        }
        return accepted
    }

    /// `d` refused these ids (they do not fit its plan): route them again after a short backoff.
    public mutating func rejected(_ ids: [UInt64], from d: Role, now: UInt64) {
        let before = ledger.inFlight(on: d)
        ledger.onReject(ids, from: d)
        let late = ids.count - (before - ledger.inFlight(on: d))
        if late > 0, let g = ghosts[d] { ghosts[d] = max(0, g - late) }
        backoffUntil[d] = now + settings.rejectBackoff.nanoseconds
    }

    /// Periodic: heartbeats, deaths, deadlines.
    public mutating func tick(now: UInt64) -> [Directive] {
        var out: [Directive] = []
        for d in detector.onTick(now: now) { out += carryOut(d, now: now) }
        // A node still relays a plan planned with another mode or wanted plan: tell it
        // again, at most every quarter second (a plan change in flight answers the first).
        for d in Role.allCases where reachable.contains(d) {
            guard let a = relayed[d], let m = wish(for: a),
                  now &- (lastModeNudge[d] ?? 0) >= settings.deadline.nanoseconds / 4 else { continue }
            lastModeNudge[d] = now
            out.append(.sendMode(d, m))
        }
        let inFlight = Role.allCases.map { ledger.inFlight(on: $0) }
        let expired = ledger.expire(deadlineNanos: settings.deadline.nanoseconds, now: now)
        if !expired.isEmpty {
            out.append(.answeredUnavailable(expired, reason: .deadline))
            // A device whose requests expired in flight is too slow for its credit.
            for (k, d) in Role.allCases.enumerated() where ledger.inFlight(on: d) < inFlight[k] {
                ghosts[d, default: 0] += inFlight[k] - ledger.inFlight(on: d)
                adaptCredit(d, slowest: settings.deadline.nanoseconds, answered: 0, now: now)
            }
        }
        return out
    }

    /// Sends what the credits allow; answers *unavailable* when no device can serve.
    public mutating func pump(now: UInt64) -> [Directive] {
        var out: [Directive] = []
        let r = currentRoutes()
        if r.isEmpty {
            if !reachable.isEmpty, reachable.allSatisfy({ governing($0)?.plan == Plan.none }) {
                // The plans say "stops": every waiting request gets an explicit answer.
                let ids = ledger.answerPendingUnavailable(now: now)
                if !ids.isEmpty { out.append(.answeredUnavailable(ids, reason: .noPlan)) }
            }
            return out
        }
        // Shed what no device routed to could answer within the deadline (the fastest one's
        // recent service time left): answered *unavailable* now rather than sent to expire.
        let deadline = settings.deadline.nanoseconds
        if let fastest = r.keys.compactMap({ serviceTime[$0] }).min(), fastest < deadline, now > deadline - fastest {
            let doomed = ledger.shed(submittedBefore: now - (deadline - fastest), now: now)
            if !doomed.isEmpty { out.append(.answeredUnavailable(doomed, reason: .deadline)) }
        }
        // The faster device first: below saturation it takes the work, so a slow device
        // does not add its latency to requests a fast one could have answered. The Worker
        // goes first only when the Master is at most half as fast: calibration on a busy
        // machine put two halves of the same speed 10 % apart, the Worker first, and the
        // Worker's stalls when it was slowed a moment later held a second's p99 at 90 ms.
        let order = (speedShare[.worker] ?? 0.5) >= 2 * (speedShare[.master] ?? 0.5) ? [Role.worker, .master] : Role.allCases
        for d in order {
            guard let route = r[d] else { continue }
            if let until = backoffUntil[d], now < until { continue }
            let credit = min(self.credit[d] ?? maxCredit, creditCap(d, route: route)) - (ghosts[d] ?? 0)
            while ledger.inFlight(on: d) < credit, ledger.pendingCount > 0 {
                let size = min(settings.batchSize, credit - ledger.inFlight(on: d))
                // Nagle's rule for frames: at most one partial frame in flight per device.
                // Otherwise a paced load sends a frame per arrival, every image pays a
                // frame's fixed cost (in a joint plan two activation exchanges) and the
                // device serves a third of what it does with full frames, while the small
                // frames keep its credit full (measured: ha-100 fell behind 8 k img/s that
                // it serves at 25 k saturated). A request then waits at most for the
                // partial frame before it to be answered.
                if ledger.pendingCount < size {
                    if let p = partialFrame[d], ledger.state(of: p) == .inFlight(d) { break }
                }
                let ids = ledger.nextBatch(for: d, max: size, now: now)
                if ids.isEmpty { break }
                if ids.count < settings.batchSize { partialFrame[d] = ids[0] }
                out.append(.send(d, ids: ids, standalone: route == .standalone))
            }
        }
        return out
    }

    /// Whether `d` is the limit now: requests wait at the source while its credit is full
    /// (within one frame). Only then is its rate its capacity (issue 14).
    public mutating func isSaturated(_ d: Role) -> Bool {
        guard ledger.pendingCount > 0, let route = currentRoutes()[d] else { return false }
        let credit = min(self.credit[d] ?? maxCredit, creditCap(d, route: route)) - (ghosts[d] ?? 0)
        return ledger.inFlight(on: d) + settings.batchSize > credit
    }

    // MARK: internals

    /// What to tell the node that relayed `a`, or nil when `a` was planned with what this
    /// source wants (a wanted plan the leader could not run still counts as heard).
    func wish(for a: PlanAnnouncement) -> ModeRequest? {
        guard wantedMode != nil || wantedPlan != nil else { return nil }
        let m = wantedMode ?? a.mode
        guard a.mode != m || a.wanted != wantedPlan else { return nil }
        return ModeRequest(mode: m, plan: wantedPlan)
    }

    /// The most images `d` may have in flight: the window, or its speed share of it in an
    /// independent plan (at least one frame, so a slow device is still measured).
    func creditCap(_ d: Role, route: Route) -> Int {
        guard case .serve(let p) = route, p.isIndependentPair, let share = speedShare[d] else { return maxCredit }
        return max(settings.batchSize, min(maxCredit, Int((Double(maxCredit) * share * 2).rounded())))
    }

    /// AIMD on the in-flight credit of `d` from the slowest answer of a frame.
    mutating func adaptCredit(_ d: Role, slowest: UInt64, answered: Int, now: UInt64) {
        let deadline = settings.deadline.nanoseconds
        var c = credit[d] ?? maxCredit
        if slowest > deadline / 2 {
            // At most one halving per quarter deadline: the answers of one late window
            // all arrive late, and should count once.
            if now &- (lastDecrease[d] ?? 0) > deadline / 4 || lastDecrease[d] == nil {
                c = max(1, c / 2)
                lastDecrease[d] = now
            }
        } else if slowest < deadline / 4 {
            c = min(maxCredit, c + max(1, answered / 4))
        }
        credit[d] = c
    }

    mutating func note(_ now: UInt64) -> [Directive] {
        guard case .selfPaused(let gap)? = detector.noteTime(now) else { return [] }
        return [.log("source paused for \(gap / 1_000_000) ms: nodes get a fresh timeout")]
    }

    mutating func carryOut(_ d: FailureDetector<Role>.Directive, now: UInt64) -> [Directive] {
        switch d {
        case .sendHeartbeat(let r): return [.sendHeartbeat(r)]
        case .selfPaused(let gap): return [.log("source paused for \(gap / 1_000_000) ms: nodes get a fresh timeout")]
        case .markDead(let r, let cause, let silent):
            reachable.remove(r)
            relayed[r] = nil
            ghosts[r] = nil
            serviceTime[r] = nil
            ledger.onDeviceDown(r)
            var out: [Directive] = [.markDown(r, cause: cause, silentNanos: silent)]
            out += refresh(now: now)
            return out
        }
    }

    /// Re-evaluates what is served; reports a change.
    mutating func refresh(now: UInt64) -> [Directive] {
        let p = servedPlan()
        let epoch = Role.allCases.compactMap { d -> UInt64? in
            guard reachable.contains(d), let a = governing(d), a.plan == p else { return nil }
            return a.epoch
        }.max()
        guard p != served else {
            if epoch != nil { servedEpoch = epoch } // the same plan re-deployed
            return []
        }
        served = p
        servedEpoch = epoch
        let why = Role.allCases.compactMap { d -> String? in
            guard reachable.contains(d) else { return "\(d.rawValue) unreachable" }
            return governing(d).map { "\(d.rawValue) runs \($0.plan.rawValue) of \($0.leader.rawValue) (epoch \($0.epoch))" }
        }.joined(separator: ", ")
        return [.served(p, reason: why, epoch: epoch)]
    }
}

extension Plan {
    /// The named plan whose jobs are these (what a source serves when the two devices follow
    /// different leaders); `none` when neither serves. Pairs without a name fall back to
    /// the Master's part.
    public static func serving(master: DeviceJob, worker: DeviceJob) -> Plan {
        for p in Plan.allCases where p.job(for: .master) == master && p.job(for: .worker) == worker { return p }
        if case .joint(let s) = master { return s == .s75 ? .ha75 : .ha100 }
        for p in Plan.allCases where p.job(for: .master) == master && p.job(for: .worker) == .idle && master != .idle { return p }
        for p in Plan.allCases where p.job(for: .worker) == worker && p.job(for: .master) == .idle && worker != .idle { return p }
        return .none
    }
}
