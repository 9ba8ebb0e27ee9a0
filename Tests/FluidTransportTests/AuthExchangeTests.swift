import FluidTransport
import Foundation
import XCTest

/// The pure auth state machine: two instances talking, and every way a peer can get it wrong.
final class AuthExchangeTests: XCTestCase {
    let secret = try! SharedSecret(bytes: Array("correct horse battery staple 42!".utf8))
    let other = try! SharedSecret(bytes: Array("correct horse battery staple 43!".utf8))

    /// Runs a full exchange between `a` (dialer) and `b` (acceptor); returns their final steps.
    func converse(_ a: inout AuthExchange, _ b: inout AuthExchange) -> (a: [AuthExchange.Step], b: [AuthExchange.Step]) {
        // Both challenges cross; each answers with its proof.
        let aSteps1 = a.receive(b.opening)
        let bSteps1 = b.receive(a.opening)
        guard case .send(let aProof)? = aSteps1.first, case .send(let bProof)? = bSteps1.first else {
            return (aSteps1, bSteps1)
        }
        return (a.receive(bProof), b.receive(aProof))
    }

    func testSameSecretAuthenticatesBothSides() {
        var a = AuthExchange(key: secret.key, initiator: true)
        var b = AuthExchange(key: secret.key, initiator: false)
        let (sa, sb) = converse(&a, &b)
        XCTAssertEqual(sa, [.authenticated(leftover: [])])
        XCTAssertEqual(sb, [.authenticated(leftover: [])])
        XCTAssertTrue(a.isAuthenticated && b.isAuthenticated)
    }

    func testWrongSecretFailsOnBothSides() {
        var a = AuthExchange(key: secret.key, initiator: true)
        var b = AuthExchange(key: other.key, initiator: false)
        let (sa, sb) = converse(&a, &b)
        XCTAssertEqual(sa, [.failed(.wrongProof)])
        XCTAssertEqual(sb, [.failed(.wrongProof)])
        XCTAssertFalse(a.isAuthenticated || b.isAuthenticated)
    }

    func testBytesAfterTheProofAreLeftOverForTheApplication() {
        var a = AuthExchange(key: secret.key, initiator: true)
        var b = AuthExchange(key: secret.key, initiator: false)
        guard case .send? = a.receive(b.opening).first, case .send(let bProof)? = b.receive(a.opening).first else {
            return XCTFail("no proofs")
        }
        // b's proof and b's first application bytes in one read.
        XCTAssertEqual(a.receive(bProof + [0x46, 0x44, 1, 2]), [.authenticated(leftover: [0x46, 0x44, 1, 2])])
    }

    func testByteAtATimeStillWorks() {
        var a = AuthExchange(key: secret.key, initiator: true)
        var b = AuthExchange(key: secret.key, initiator: false)
        var aProof: [UInt8] = [], bProof: [UInt8] = []
        for byte in b.opening { for case .send(let p) in a.receive([byte]) { aProof = p } }
        for byte in a.opening { for case .send(let p) in b.receive([byte]) { bProof = p } }
        var last: [AuthExchange.Step] = []
        for byte in bProof { last = a.receive([byte]) }
        XCTAssertEqual(last, [.authenticated(leftover: [])])
        for byte in aProof { last = b.receive([byte]) }
        XCTAssertEqual(last, [.authenticated(leftover: [])])
    }

    /// An attacker without the secret echoes a node's challenge and then its proof back.
    func testReflectionFails() {
        var node = AuthExchange(key: secret.key, initiator: false)
        XCTAssertEqual(node.receive(node.opening), [.failed(.reflectedChallenge)])

        // With a fresh nonce of its own but the node's proof reflected: wrong side byte.
        var node2 = AuthExchange(key: secret.key, initiator: false)
        let attackerNonce = AuthWire.randomNonce()
        guard case .send(let nodeProof)? = node2.receive(AuthWire.frame(.challenge, body: attackerNonce)).first else {
            return XCTFail("node sent no proof")
        }
        XCTAssertEqual(node2.receive(nodeProof), [.failed(.wrongProof)])
        XCTAssertFalse(node2.isAuthenticated)
    }

    /// A proof recorded from one session is worthless in the next (fresh nonces).
    func testReplayFails() {
        var a = AuthExchange(key: secret.key, initiator: true)
        var b = AuthExchange(key: secret.key, initiator: false)
        _ = b.receive(a.opening)
        guard case .send(let aProof)? = a.receive(b.opening).first else { return XCTFail() }
        var b2 = AuthExchange(key: secret.key, initiator: false)
        _ = b2.receive(a.opening)           // same challenge replayed, b2 has a new nonce
        XCTAssertEqual(b2.receive(aProof), [.failed(.wrongProof)])
    }

    func testGarbageWrongMagicVersionAndTypeAreRefusedOnTheirFirstBytes() {
        var e = AuthExchange(key: secret.key, initiator: false)
        XCTAssertEqual(e.receive(Array("GET / HTTP/1.1\r\n".utf8)), [.failed(.badMagic(0x47, 0x45))])
        e = AuthExchange(key: secret.key, initiator: false)
        // A Fluid wire hello from a peer that has no secret.
        XCTAssertEqual(e.receive([0x46, 0x44, 1, 0]), [.failed(.unauthenticatedPeer)])
        e = AuthExchange(key: secret.key, initiator: false)
        XCTAssertEqual(e.receive([0x46, 0x41, 9]), [.failed(.wrongVersion(found: 9, expected: AuthWire.version))])
        e = AuthExchange(key: secret.key, initiator: false)
        XCTAssertEqual(e.receive([0x46, 0x41, AuthWire.version, 2]), [.failed(.unexpectedFrame(type: 2, expected: .challenge))])
        // Once failed, nothing more is accepted.
        XCTAssertEqual(e.receive(Array(repeating: 0, count: 100)), [])
        XCTAssertFalse(e.isAuthenticated)
    }

    func testFailureReasonsNameTheProblem() {
        XCTAssertTrue(AuthFailure.unauthenticatedPeer.description.contains("--secret-file"))
        XCTAssertTrue(AuthFailure.wrongProof.description.contains("secret"))
        XCTAssertTrue(AuthFailure.timeout(milliseconds: 2000).description.contains("2000 ms"))
        XCTAssertTrue(AuthFailure.badMagic(0x47, 0x45).description.contains("0x4745"))
    }
}
