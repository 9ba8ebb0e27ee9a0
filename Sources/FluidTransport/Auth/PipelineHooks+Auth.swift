import Foundation
import Logging
import NIOCore

extension PipelineHooks {
    /// Every connection — node ↔ node and source ↔ node, both directions — opens with the
    /// HMAC challenge of `secret` before a single frame is decoded (issue 5 item 7).
    public mutating func authenticate(with secret: SharedSecret, settings: AuthSettings = AuthSettings(), logger: Logger) {
        authenticator = { link, isInitiator in
            [AuthHandler(secret: secret, link: link, isInitiator: isInitiator, settings: settings, logger: logger)]
        }
    }
}

/// Where a node may listen without a secret.
public enum ListenPolicy {
    /// True for an address only this machine can reach: 127.0.0.0/8, ::1, "localhost".
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The warning for listening on `host` without a secret, or nil when there is nothing
    /// to warn about (loopback, or a secret is set).
    public static func warning(listenHost host: String, hasSecret: Bool) -> String? {
        guard !hasSecret, !isLoopback(host) else { return nil }
        return "listening on \(host), beyond loopback, without --secret-file: anyone who can reach this port "
            + "can join the cluster or send it requests; pass --secret-file F (the same file on every device)"
    }
}

extension PipelineHooks {
    /// What `fluid node --secret-file` does: loads `path` (nil = no secret), logs its
    /// warnings, installs the authenticator, and warns when `listenHost` is reachable beyond
    /// loopback without a secret. Throws `SecretFileError` with a message naming the file.
    public mutating func applySecretFile(_ path: String?, listenHost: String?, logger: Logger) throws {
        if let path {
            let secret = try SharedSecret(contentsOfFile: path)
            for w in secret.warnings { logger.warning("\(w)") }
            authenticate(with: secret, logger: logger)
        }
        if let host = listenHost, let w = ListenPolicy.warning(listenHost: host, hasSecret: path != nil) {
            logger.warning("\(w)")
        }
    }
}

extension ClusterConfig {
    /// `fluid run --secret-file`: the source authenticates its own connections with the
    /// secret and hands the file (as an absolute path) to the nodes it spawns. Call after
    /// setting `logger`. Throws `SecretFileError`.
    public mutating func useSecretFile(_ path: String) throws {
        let secret = try SharedSecret(contentsOfFile: path)
        for w in secret.warnings { logger.warning("\(w)") }
        secretFile = path.hasPrefix("/") ? path
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        hooks.authenticate(with: secret, logger: logger)
    }
}
