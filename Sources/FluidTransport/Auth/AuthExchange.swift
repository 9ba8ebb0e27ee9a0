import Crypto
import Foundation

/// The bytes of the mutual HMAC challenge that opens every connection when the cluster
/// runs with a shared secret (issue 5 item 7). Fixed-size frames, their own magic and
/// version (a stream that is not an auth exchange is told apart in its first byte):
///
/// ```
/// offset 0  magic    2 bytes  "FA" (0x46 0x41)
///        2  version  1 byte   AuthWire.version
///        3  type     1 byte   1 = challenge, 2 = proof
///        4  body    32 bytes  challenge: a fresh random nonce; proof: HMAC-SHA256
/// ```
///
/// Both sides send a challenge at once. On the peer's challenge a side sends its proof
///
///     proof(side) = HMAC-SHA256(secret, "fluid-auth/1" ‖ side ‖ nonce_initiator ‖ nonce_acceptor)
///
/// with `side` one byte, 1 for the dialing side and 2 for the accepting side. Nothing
/// else passes until the peer's proof checks out (constant-time compare). Both nonces in
/// every proof defeat replay; the side byte defeats reflection (an attacker that echoes
/// a side's challenge and proof back gets a proof with the wrong side byte).
///
/// What it does not do: encrypt or authenticate the frames after the exchange. It keeps
/// off anyone without the secret; an active man in the middle on the path is out of
/// scope (use a VPN or TLS tunnel between sites).
public enum AuthWire {
    public static let magic: (UInt8, UInt8) = (0x46, 0x41)
    /// Bumped whenever the exchange changes.
    public static let version: UInt8 = 1
    public static let nonceLength = 32
    public static let frameLength = 4 + 32
    /// Domain separation: this HMAC key signs nothing else with this prefix.
    static let context = Array("fluid-auth/1".utf8)

    public enum FrameType: UInt8, Sendable {
        case challenge = 1
        case proof = 2
    }

    /// A frame of `type` with a 32-byte `body`.
    public static func frame(_ type: FrameType, body: [UInt8]) -> [UInt8] {
        [magic.0, magic.1, version, type.rawValue] + body
    }

    /// The proof the side that dialed (`initiator == true`) or accepted sends.
    public static func proof(key: SymmetricKey, initiator: Bool, nonceInitiator: [UInt8], nonceAcceptor: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: transcript(initiator: initiator, nonceInitiator, nonceAcceptor), using: key))
    }

    /// Constant-time check of a proof (swift-crypto's `isValidAuthenticationCode`).
    static func verify(_ mac: [UInt8], key: SymmetricKey, initiator: Bool, nonceInitiator: [UInt8], nonceAcceptor: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: transcript(initiator: initiator, nonceInitiator, nonceAcceptor),
                                               using: key)
    }

    static func transcript(initiator: Bool, _ nI: [UInt8], _ nA: [UInt8]) -> [UInt8] {
        context + [initiator ? 1 : 2] + nI + nA
    }

    /// 32 bytes from the system's CSPRNG (getrandom on Linux).
    public static func randomNonce() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<nonceLength).map { _ in UInt8.random(in: .min ... .max, using: &g) }
    }
}

/// Why an auth exchange failed; the description is the logged reason.
public enum AuthFailure: Error, Equatable, CustomStringConvertible {
    /// The peer sent a Fluid wire frame ("FD") instead of the exchange.
    case unauthenticatedPeer
    case badMagic(UInt8, UInt8)
    case wrongVersion(found: UInt8, expected: UInt8)
    case unexpectedFrame(type: UInt8, expected: AuthWire.FrameType)
    /// The peer sent back this side's own nonce.
    case reflectedChallenge
    case wrongProof
    case timeout(milliseconds: Int)
    case closedDuringExchange(received: Int)

    public var description: String {
        switch self {
        case .unauthenticatedPeer:
            return "peer sent a Fluid frame without authenticating (is it running without --secret-file?)"
        case .badMagic(let a, let b):
            return String(format: "bad auth magic 0x%02x%02x (not a Fluid auth exchange; expected 0x4641 \"FA\")", a, b)
        case .wrongVersion(let f, let e):
            return "auth version \(f), this build speaks \(e) (run the same fluid build on every device)"
        case .unexpectedFrame(let t, let e):
            return "auth frame type \(t) where a \(e) was expected"
        case .reflectedChallenge:
            return "peer sent back this side's own challenge (reflection)"
        case .wrongProof:
            return "wrong proof: the peer does not hold the same secret"
        case .timeout(let ms):
            return "no authentication within \(ms) ms"
        case .closedDuringExchange(let n):
            return "connection closed during authentication (after \(n) bytes)"
        }
    }
}

/// The exchange as a pure state machine (instance and shell: `AuthHandler` carries out
/// what it returns). Feed it the peer's bytes as they arrive.
public struct AuthExchange {
    public enum Step: Equatable {
        /// Nothing to do yet.
        case needMore
        /// Send these bytes (this side's proof).
        case send([UInt8])
        /// The peer is authenticated; `leftover` are bytes after its proof (already its
        /// first application bytes) to pass on.
        case authenticated(leftover: [UInt8])
        case failed(AuthFailure)
    }

    enum State { case awaitingChallenge, awaitingProof, done, failed }

    let key: SymmetricKey
    let initiator: Bool
    public let myNonce: [UInt8]
    var peerNonce: [UInt8] = []
    var state = State.awaitingChallenge
    /// Bytes of the peer's current, incomplete auth frame.
    var pending: [UInt8] = []
    public private(set) var received = 0

    /// `initiator`: this side dialed. `nonce` is for tests; the default is fresh.
    public init(key: SymmetricKey, initiator: Bool, nonce: [UInt8] = AuthWire.randomNonce()) {
        self.key = key; self.initiator = initiator; self.myNonce = nonce
    }

    /// This side's challenge, sent as soon as the connection is up.
    public var opening: [UInt8] { AuthWire.frame(.challenge, body: myNonce) }

    public var isAuthenticated: Bool { state == .done }

    /// Consumes the peer's bytes. May return several steps (a proof to send, then the
    /// verdict when both frames came in one read); stops at the first `failed`.
    public mutating func receive(_ bytes: [UInt8]) -> [Step] {
        guard state == .awaitingChallenge || state == .awaitingProof else { return [] }
        var steps: [Step] = []
        var i = 0
        while i < bytes.count {
            let take = min(AuthWire.frameLength - pending.count, bytes.count - i)
            pending += bytes[i..<(i + take)]
            i += take
            received += take
            // Magic, version and type are judged as soon as their bytes are in, so garbage
            // is refused on its first bytes.
            if let f = checkHeader() { state = .failed; return steps + [.failed(f)] }
            guard pending.count == AuthWire.frameLength else { break }
            let body = Array(pending[4...])
            pending = []
            switch state {
            case .awaitingChallenge:
                guard body != myNonce else { state = .failed; return steps + [.failed(.reflectedChallenge)] }
                peerNonce = body
                state = .awaitingProof
                let (nI, nA) = initiator ? (myNonce, peerNonce) : (peerNonce, myNonce)
                steps.append(.send(AuthWire.frame(.proof, body: AuthWire.proof(key: key, initiator: initiator,
                                                                               nonceInitiator: nI, nonceAcceptor: nA))))
            case .awaitingProof:
                let (nI, nA) = initiator ? (myNonce, peerNonce) : (peerNonce, myNonce)
                // The peer's proof carries the peer's side byte.
                guard AuthWire.verify(body, key: key, initiator: !initiator, nonceInitiator: nI, nonceAcceptor: nA) else {
                    state = .failed
                    return steps + [.failed(.wrongProof)]
                }
                state = .done
                return steps + [.authenticated(leftover: Array(bytes[i...]))]
            case .done, .failed:
                break
            }
        }
        return steps.isEmpty ? [.needMore] : steps
    }

    func checkHeader() -> AuthFailure? {
        let p = pending
        if p.count >= 1, p[0] != AuthWire.magic.0 { return .badMagic(p[0], p.count > 1 ? p[1] : 0) }
        if p.count >= 2, p[1] != AuthWire.magic.1 {
            // "FD": the Fluid wire magic — a peer that skipped the exchange.
            return p[1] == 0x44 ? .unauthenticatedPeer : .badMagic(p[0], p[1])
        }
        if p.count >= 3, p[2] != AuthWire.version { return .wrongVersion(found: p[2], expected: AuthWire.version) }
        if p.count >= 4 {
            let expected: AuthWire.FrameType = state == .awaitingChallenge ? .challenge : .proof
            if p[3] != expected.rawValue { return .unexpectedFrame(type: p[3], expected: expected) }
        }
        return nil
    }
}
