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

    /// Issue 15 item 5: an enumerated option outside its set is a usage mistake that lists
    /// the choices (exit 64); a runtime failure — here no MNIST folder — is an error with
    /// its reason and exit 1, without the usage text.
    func testEnumeratedOptionsAndRuntimeFailures() throws {
        for (args, choices) in [(["run", "--headless", "--kind", "bogus"], "'static', 'dynamic' or 'fluid'"),
                                (["run", "--headless", "--mode", "fast"], "'ha', 'ht' or 'auto'"),
                                (["node", "--role", "boss", "--listen", "127.0.0.1:1", "--peer", "127.0.0.1:2", "--weights", "x"],
                                 "'master' and 'worker'")] {
            let (code, _, err) = try FluidBinary.run(args, timeout: 30)
            XCTAssertEqual(code, 64, "fluid \(args.joined(separator: " ")): \(err)")
            XCTAssertTrue(err.contains(choices), "fluid \(args.joined(separator: " ")) does not list the choices: \(err)")
        }
        let missing = "/nonexistent-\(getpid())"
        let (code, _, err) = try FluidBinary.run(["run", "--headless", "--kind", "Static", "--duration", "1", "--data", missing], timeout: 30)
        XCTAssertEqual(code, 1, err)
        XCTAssertTrue(err.contains(missing), "the error names the folder: \(err)")
        XCTAssertFalse(err.contains("Usage:"), "a runtime failure printed the usage text: \(err)")
    }
}
