import FluidDashboard
import Foundation
import XCTest

/// Issue 13's defects that a screen can show, on the pure dashboard.
final class TruthTests: XCTestCase {
    let ui = DashboardUIState(title: "Fluid demo")

    func testBothDevicesDownShowsPlanNoneAndARedOutageHeaderInWords() {
        let s = Dashboard.render(Fixtures.bothDown(), ui: ui, rows: 24, columns: 80)
        let header = s.line(0)
        XCTAssertTrue(header.contains("OUTAGE · 6300 unavailable/s"), s.dump)
        XCTAssertTrue(header.contains("plan none"), s.dump)
        XCTAssertFalse(header.contains("ha-100"), s.dump)
        XCTAssertTrue(s.roles(row: 0).allSatisfy { $0 == .bannerOutage }, "the whole bar is red")
        XCTAssertTrue(s.line(1).contains("Nothing serves"), s.dump)
    }

    func testHealthColoursTheHeaderAndSaysIt() {
        let healthy = Dashboard.render(Fixtures.healthy(), ui: ui, rows: 24, columns: 80)
        XCTAssertTrue(healthy.line(0).hasPrefix(" OK"), healthy.dump)
        XCTAssertEqual(healthy.roles(row: 0).first, .bannerOK)
        let degraded = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
        XCTAssertTrue(degraded.line(0).hasPrefix(" DEGRADED"), degraded.dump)
        XCTAssertEqual(degraded.roles(row: 0).first, .bannerDegraded)
    }

    func testLeaderIsShownOnlyForALiveDevice() {
        var snap = Fixtures.bothDown()
        snap.worker.isLeader = true   // a stale flag from the last plan
        let s = Dashboard.render(snap, ui: ui, rows: 24, columns: 80)
        XCTAssertNil(s.firstRow(containing: "leader"), s.dump)
        XCTAssertNil(s.firstRow(containing: "follower"), s.dump)
        XCTAssertNil(s.firstRow(containing: "runs"), s.dump)
    }

    func testCountersSplitPredictionsFromUnavailable() {
        let s = Dashboard.render(Fixtures.bothDown(), ui: ui, rows: 24, columns: 80)
        XCTAssertNotNil(s.firstRow(containing: "sent 200k · predictions 100k · unavailable 100k"), s.dump)
    }

    func testPlanInPlainWordsOnScreenAndInHelp() {
        let s = Dashboard.render(Fixtures.masterDown(), ui: ui, rows: 24, columns: 80)
        XCTAssertTrue(s.line(1).contains("solo-u50: Worker alone runs its upper half (8 channels)"), s.dump)
        var help = ui
        help.helpVisible = true
        let tall = Dashboard.render(Fixtures.masterDown(), ui: help, rows: 40, columns: 100)
        for p in [Plan.ha100, .ht, .solo50, .soloU50, .none] {
            XCTAssertNotNil(tall.firstRow(containing: String(p.plainWords.prefix(40))), "\(p.rawValue)" + tall.dump)
        }
    }

    func testAccuracyIsShownToThePrecisionItsCountSupports() {
        var snap = Fixtures.healthy()
        snap.accuracy = 0.98765
        snap.accuracyCount = 500
        XCTAssertTrue(Dashboard.render(snap, ui: ui, rows: 24, columns: 80).line(0).contains("acc 99%"))
        snap.accuracyCount = 2_400
        XCTAssertTrue(Dashboard.render(snap, ui: ui, rows: 24, columns: 80).line(0).contains("acc 98.8%"))
        snap.accuracyCount = 40_000
        XCTAssertTrue(Dashboard.render(snap, ui: ui, rows: 24, columns: 80).line(0).contains("acc 98.77%"))
    }

    func testHungDeviceKeepsItsLastCountersAndHeartbeatAge() {
        var snap = Fixtures.healthy()
        snap.worker = DeviceStatus(name: .worker, state: .hung, imagesPerSecond: 800, heartbeatAgeMs: 2_345,
                                   bytesSent: 5_000_000, bytesReceived: 6_000_000)
        let s = Dashboard.render(snap, ui: ui, rows: 24, columns: 80)
        XCTAssertNotNil(s.firstRow(containing: "heartbeat 2345 ms ago"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "sent 4.8 MiB"), s.dump)
        XCTAssertEqual(s.role(of: "heartbeat 2345"), .degraded)
    }

    /// Issue 14: a device measured slow says so in amber, in words, beside its state.
    func testSlowDeviceIsAmberWithItsFactor() {
        var snap = Fixtures.healthy()
        snap.worker = DeviceStatus(name: .worker, state: .up, imagesPerSecond: 200)  // the fixture's Worker is hung
        snap.worker.slowFactor = 4
        let s = Dashboard.render(snap, ui: ui, rows: 24, columns: 80)
        XCTAssertNotNil(s.firstRow(containing: "SLOW ×4"), s.dump)
        XCTAssertEqual(s.role(of: "SLOW ×4"), .degraded)
        snap.worker.slowFactor = nil
        XCTAssertNil(Dashboard.render(snap, ui: ui, rows: 24, columns: 80).firstRow(containing: "SLOW"))
    }

    func testNumbersKeepTheirWidthAndNothingIsCutAt80x24() {
        XCTAssertEqual(Format.si(987), "987")
        XCTAssertEqual(Format.si(9999), "9999")
        XCTAssertEqual(Format.si(12_345), "12.3k")
        XCTAssertEqual(Format.si(99_960), "100k")
        XCTAssertEqual(Format.si(123_456), "123k")
        XCTAssertEqual(Format.si(1_234_567), "1.23M")
        XCTAssertEqual(Format.si(999_600), "1.00M")
        for v in [0.0, 1.5, 999, 9_999.4, 10_000, 99_949, 999_499, 9_994_999, 1e11, 1e14, 1e300] {
            XCTAssertLessThanOrEqual(Format.si(v).count, 5, "\(v) → \(Format.si(v))")
        }
        // Huge numbers everywhere: every row still ends within the screen and no digit run
        // touches the right edge of a panel.
        var snap = Fixtures.masterDown()
        snap.throughput = 1e12
        snap.counters = RequestCounters(sent: Int.max / 2, answered: Int.max / 2, predicted: Int.max / 2,
                                        unavailable: Int.max / 4, inFlight: 123_456_789)
        snap.worker.answersPerSecond = 1e12
        snap.worker.latencyP99ms = 1e12
        let s = Dashboard.render(snap, ui: ui, rows: 24, columns: 80)
        XCTAssertNotNil(s.firstRow(containing: "answers 1.00T/s"), s.dump)
        XCTAssertNotNil(s.firstRow(containing: "p99 1.00G s"), s.dump)
        XCTAssertEqual(Format.bytes(UInt64.max), "16.8M TiB")
    }

    func testEventLogScrollsBackAndReturnsToTheNewest() {
        var snap = Fixtures.masterDown()
        snap.events = (1...50).map { DashboardEvent(sequence: $0, time: Double($0), text: "event number \($0) ") }
        var ui = self.ui
        XCTAssertFalse(ui.apply(.eventsOlder, page: 9))
        let back = Dashboard.render(snap, ui: ui, rows: 24, columns: 80)
        XCTAssertNil(back.firstRow(containing: "event number 50 "), back.dump)
        XCTAssertNotNil(back.firstRow(containing: "event number 41 "), back.dump)
        XCTAssertNotNil(back.firstRow(containing: "newer below"), back.dump)
        _ = ui.apply(.eventsNewer, page: 9)
        let newest = Dashboard.render(snap, ui: ui, rows: 24, columns: 80)
        XCTAssertNotNil(newest.firstRow(containing: "event number 50 "), newest.dump)
    }
}

final class KeyRoutingTests: XCTestCase {
    func testEscAndQuestionMarkAndQCloseHelpWithoutQuitting() {
        var ui = DashboardUIState()
        ui.helpVisible = true
        for key: DashboardKey in [.escape, .character("?"), .character("q"), .function(1)] {
            XCTAssertEqual(ui.action(for: key, rows: 24, columns: 80), .closeOverlay, "\(key)")
        }
        XCTAssertFalse(ui.apply(.closeOverlay))
        XCTAssertFalse(ui.helpVisible)
        // From the main screen q quits; F10 and Ctrl-C quit from anywhere.
        XCTAssertEqual(ui.action(for: .character("q"), rows: 24, columns: 80), .quit)
        ui.helpVisible = true
        XCTAssertEqual(ui.action(for: .controlC, rows: 24, columns: 80), .quit)
        // A fault key behind the overlay does nothing.
        XCTAssertNil(ui.action(for: .character("m"), rows: 24, columns: 80))
    }

    func testTooSmallScreenIgnoresEverythingButQuit() {
        let ui = DashboardUIState()
        for key: DashboardKey in [.character("m"), .character("w"), .character("3"), .character("t"), .character(" "), .character("r")] {
            XCTAssertNil(ui.action(for: key, rows: 10, columns: 50), "\(key) acted on the too-small screen")
        }
        XCTAssertEqual(ui.action(for: .character("q"), rows: 10, columns: 50), .quit)
        XCTAssertEqual(ui.action(for: .character("m"), rows: 24, columns: 80), .crashOrRevive(.master))
    }

    func testFastMWMWIsFourTogglesEndingWithBothUp() {
        var intents = FaultIntents()
        // The screen still shows both up: the kills have not landed yet.
        var commands: [DeviceCommand] = []
        for (i, r) in [Role.master, .worker, .master, .worker].enumerated() {
            commands.append(intents.crashOrRevive(r, observed: .up, now: 100 + Double(i) * 0.1))
        }
        XCTAssertEqual(commands, [.kill(.master), .kill(.worker), .revive(.master), .revive(.worker)])
        XCTAssertEqual(intents.asked, [.master: .up, .worker: .up])
    }

    func testAToggleLongAfterTheRequestFollowsWhatTheScreenShows() {
        var intents = FaultIntents()
        XCTAssertEqual(intents.crashOrRevive(.master, observed: .up, now: 0), .kill(.master))
        // Revived by someone else meanwhile (the screen shows it up): the next press kills.
        XCTAssertEqual(intents.crashOrRevive(.master, observed: .up, now: 10), .kill(.master))
        // Down by itself: the next press revives.
        XCTAssertEqual(intents.crashOrRevive(.worker, observed: .killed, now: 20), .revive(.worker))
    }

    func testHangOfADeadDeviceIsRefusedWithAReason() {
        var intents = FaultIntents()
        _ = intents.crashOrRevive(.worker, observed: .up, now: 0)
        let (command, reason) = intents.hangOrResume(.worker, observed: .up, now: 0.1)
        XCTAssertNil(command)
        XCTAssertEqual(reason, "Worker is not running: w revives it")
        XCTAssertEqual(intents.hangOrResume(.master, observed: .up, now: 0.2).0, .hang(.master))
        XCTAssertEqual(intents.hangOrResume(.master, observed: .up, now: 0.3).0, .resume(.master))
    }

    func testAKindSwitchKeepsTheUsersFaults() {
        var intents = FaultIntents()
        _ = intents.crashOrRevive(.worker, observed: .up, now: 0)
        _ = intents.hangOrResume(.master, observed: .up, now: 0)
        XCTAssertEqual(intents.reapply(), [.hang(.master), .kill(.worker)])
    }

    func testKindSwitchesPressedDuringARestartAreQueuedAndTheLastWins() {
        var q = KindQueue()
        XCTAssertEqual(q.request(.dynamic, current: .fluid), .start(.dynamic))
        XCTAssertEqual(q.request(.fluid, current: .fluid), .queued(.fluid))
        XCTAssertEqual(q.status, "restarting nodes on dynamic… then fluid")
        XCTAssertEqual(q.finished(current: .dynamic), .fluid)
        XCTAssertEqual(q.finished(current: .fluid), nil)
        XCTAssertFalse(q.busy)
        XCTAssertEqual(q.request(.fluid, current: .fluid), .unchanged)
    }

    func testReplaySeeksByFiveSeconds() throws {
        let log = try SessionLogParser.parse(Data(Fixtures.sessionLog.utf8), name: "t")
        var now = 0.0
        let driver = ReplayDriver(log: log, name: "t", clock: { now })
        driver.perform(.togglePause)
        driver.perform(.seekForward)
        XCTAssertEqual(driver.position, min(5, log.duration))
        driver.perform(.seekBack)
        XCTAssertEqual(driver.position, 0)
        now = 1
        XCTAssertEqual(KeyTable.replay.action(for: .left, readOnly: false), .seekBack)
        XCTAssertEqual(KeyTable.replay.action(for: .right, readOnly: false), .seekForward)
    }
}

final class ReplayRobustnessTests: XCTestCase {
    func testALogWhoseLastLineIsCutIsReadAndSaysSo() throws {
        let text = Fixtures.sessionLog + "\n{\"type\":\"sample\",\"t\":4.0,\"throu"
        let log = try SessionLogParser.parse(Data(text.utf8), name: "crash.jsonl")
        XCTAssertEqual(log.cutLastLine, text.split(separator: "\n", omittingEmptySubsequences: false).count)
        XCTAssertEqual(log.samples.count, 2)
        let driver = ReplayDriver(log: log, name: "crash.jsonl")
        XCTAssertTrue(driver.snapshot(at: 1).status?.contains("cut") ?? false)
        // A cut line in the middle is still an error: that is not a crash, it is corruption.
        let middle = "{\"type\":\"header\",\"format\":\"fluid-session\",\"version\":1}\n{\"type\":\"sam\n{\"type\":\"event\",\"t\":1,\"event\":\"x\"}\n"
        XCTAssertThrowsError(try SessionLogParser.parse(Data(middle.utf8), name: "m"))
    }

    func testAbsurdNumbersAreRefusedOrClampedNeverATrap() throws {
        let header = "{\"type\":\"header\",\"format\":\"fluid-session\",\"version\":1}\n"
        let huge = header + "{\"type\":\"event\",\"t\":1e300,\"event\":\"x\"}\n"
        XCTAssertThrowsError(try SessionLogParser.parse(Data(huge.utf8), name: "h")) { e in
            XCTAssertTrue("\(e)".contains("h:2"), "\(e)")
        }
        let wild = header + "{\"type\":\"sample\",\"t\":1,\"throughput\":1e300,\"accuracy\":7,\"plan\":\"ha-100\",\"sent_total\":1e300}\n"
        let log = try SessionLogParser.parse(Data(wild.utf8), name: "w")
        XCTAssertEqual(log.samples[0].accuracy, 1)
        let driver = ReplayDriver(log: log, name: "w")
        let s = Dashboard.render(driver.snapshot(at: 1e300), ui: DashboardUIState(), rows: 24, columns: 80)
        XCTAssertTrue(s.line(0).contains("img/s"), s.dump)
        XCTAssertEqual(Format.clock(1e300).isEmpty, false)
        XCTAssertEqual(Format.clock(.nan), "00:00")
    }
}
