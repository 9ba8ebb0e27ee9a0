import FluidTransport
import Foundation
import XCTest

/// `--secret-file`: what is accepted, what is refused with which message, what warns.
final class AuthSecretFileTests: XCTestCase {
    func testTrailingNewlineIsTrimmedSoEchoAndPrintfAgree() throws {
        let a = try SharedSecret(contentsOfFile: makeSecretFile("s3cret-of-enough-length\n"))
        let b = try SharedSecret(contentsOfFile: makeSecretFile("s3cret-of-enough-length"))
        let c = try SharedSecret(contentsOfFile: makeSecretFile("s3cret-of-enough-length\r\n"))
        let d = try SharedSecret(contentsOfFile: makeSecretFile("s3cret-of-enough-lengtH"))
        XCTAssertTrue(agree(a, b))
        XCTAssertTrue(agree(a, c))
        XCTAssertFalse(agree(a, d))
        XCTAssertEqual(a.warnings, [], "a 600 file with a 23-byte secret should not warn")
    }

    /// Whether two secrets authenticate each other.
    func agree(_ x: SharedSecret, _ y: SharedSecret) -> Bool {
        var a = AuthExchange(key: x.key, initiator: true)
        var b = AuthExchange(key: y.key, initiator: false)
        guard case .send(let pa)? = a.receive(b.opening).first, case .send(let pb)? = b.receive(a.opening).first else { return false }
        return a.receive(pb) == [.authenticated(leftover: [])] && b.receive(pa) == [.authenticated(leftover: [])]
    }

    func testMissingEmptyAndDirectoryAreRefusedNamingTheFile() throws {
        let missing = "/nonexistent/fluid-secret"
        XCTAssertThrowsError(try SharedSecret(contentsOfFile: missing)) { e in
            XCTAssertTrue("\(e)".contains(missing), "\(e)")
            XCTAssertTrue("\(e)".contains("No such file"), "\(e)")
        }
        let empty = try makeSecretFile("\n")
        XCTAssertThrowsError(try SharedSecret(contentsOfFile: empty)) { e in
            XCTAssertEqual(e as? SecretFileError, .empty(path: empty))
            XCTAssertTrue("\(e)".contains("is empty"))
        }
        XCTAssertThrowsError(try SharedSecret(contentsOfFile: NSTemporaryDirectory())) { e in
            XCTAssertTrue("\(e)".contains("not a regular file"), "\(e)")
        }
        let big = try makeSecretFile(String(repeating: "x", count: SharedSecret.maxBytes + 1))
        XCTAssertThrowsError(try SharedSecret(contentsOfFile: big)) { e in
            XCTAssertTrue("\(e)".contains("more than"), "\(e)")
        }
    }

    func testGroupOrWorldReadableFileWarns() throws {
        let path = try makeSecretFile("a long enough secret for the test")
        XCTAssertEqual(try SharedSecret(contentsOfFile: path).warnings, [])
        chmod(path, 0o644)
        let w = try SharedSecret(contentsOfFile: path).warnings
        XCTAssertEqual(w.count, 1)
        XCTAssertTrue(w.first?.contains("chmod 600") ?? false, "\(w)")
        XCTAssertTrue(w.first?.contains("644") ?? false, "\(w)")
    }

    func testShortSecretWarns() throws {
        XCTAssertEqual(try SharedSecret(bytes: Array("short".utf8)).warnings.count, 1)
    }

    func testListenPolicy() {
        for h in ["127.0.0.1", "127.1.2.3", "localhost", "::1"] { XCTAssertTrue(ListenPolicy.isLoopback(h), h) }
        for h in ["0.0.0.0", "10.231.0.1", "::", "192.168.1.2", "127.0.0", "1270.0.0.1"] {
            XCTAssertFalse(ListenPolicy.isLoopback(h), h)
        }
        XCTAssertNil(ListenPolicy.warning(listenHost: "127.0.0.1", hasSecret: false))
        XCTAssertNil(ListenPolicy.warning(listenHost: "0.0.0.0", hasSecret: true))
        XCTAssertTrue(ListenPolicy.warning(listenHost: "0.0.0.0", hasSecret: false)?.contains("--secret-file") ?? false)
    }
}
