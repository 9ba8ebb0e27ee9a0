import Foundation
import XCTest

/// Issue 12 item 6: every numeric option of run, node and bench refuses NaN, infinities,
/// negatives and out-of-range values with one line naming the option and its range,
/// before anything starts (`--rate 1e300` once trapped the source, `--rate -5` said
/// "Missing value", `--batch 257` passed and failed every joint batch).
final class CLINumericTests: XCTestCase {
    func testBadNumbersAreRefusedWithTheOptionAndItsRange() throws {
        let run = ["run", "--headless", "--duration", "1"]
        let cases: [([String], String)] = [
            (run + ["--rate", "-5"], "--rate must be a number from"),
            (run + ["--rate", "1e300"], "--rate must be a number from"),
            (run + ["--rate", "inf"], "--rate must be a number from"),
            (run + ["--rate", "nan"], "--rate must be a number from"),
            (["run", "--headless", "--duration", "-1"], "--duration must be a number from"),
            (["run", "--headless", "--duration", "1e300"], "--duration must be a number from"),
            (run + ["--batch", "257"], "--batch must be from 1 to 256"),
            (run + ["--batch", "0"], "--batch must be from 1 to 256"),
            (run + ["--window", "0"], "--window must be from 1 to"),
            (run + ["--link-latency", "nan"], "--link-latency must be a number from"),
            (["node", "--role", "worker", "--listen", "127.0.0.1:1", "--peer", "127.0.0.1:2", "--weights", "x",
              "--link-latency", "-3"], "--link-latency must be a number from"),
            (["bench", "cluster", "--batch", "1024"], "--batch must be from 1 to 256"),
            (["bench", "cluster", "--warmup", "inf"], "--warmup must be a number from"),
            (["bench", "paper", "--frames", "-2"], "--frames must be from 1 to"),
        ]
        for (args, expected) in cases {
            let (code, _, err) = try FluidBinary.run(args, timeout: 30)
            XCTAssertNotEqual(code, 0, "fluid \(args.joined(separator: " ")) was accepted")
            XCTAssertNotEqual(code, 132, "fluid \(args.joined(separator: " ")) trapped")
            XCTAssertTrue(err.contains(expected), "fluid \(args.joined(separator: " ")): \(err)")
            let errorLines = err.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            XCTAssertEqual(errorLines.count, 1, "not one error line: \(err)")
        }
    }
}
