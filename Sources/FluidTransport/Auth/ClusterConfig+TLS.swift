import FluidCluster
import Foundation
import Logging

extension ClusterConfig {
    /// `--tls DIR` on `fluid run` / `bench` / `demo`: the source speaks TLS with DIR's
    /// source certificate and hands DIR (as an absolute path) to the nodes it spawns.
    /// `createIfMissing` (the demo): a folder without a CA is made first with
    /// `ClusterKeygen`, so `fluid demo --tls DIR` stays one command. Call after setting
    /// `logger`. Throws `TLSSetupError` naming the file.
    public mutating func useTLS(directory: String, createIfMissing: Bool = false) throws {
        let dir = directory.hasPrefix("/") ? directory
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(directory)
        let ca = (dir as NSString).appendingPathComponent(ClusterIdentity.caCertificateFile)
        if createIfMissing, !FileManager.default.fileExists(atPath: ca) {
            try ClusterKeygen.generate(into: dir, force: false)
            logger.info("made a cluster CA and certificates in \(dir)")
        }
        let tls = try ClusterTLS(directory: dir, role: .source)
        for w in tls.warnings { logger.warning("\(w)") }
        tlsDirectory = dir
        hooks.useTLS(tls, logger: logger)
    }
}

extension NodeConfig {
    /// What `fluid node --tls DIR` does: loads DIR's certificate for this node's role
    /// (nil = no TLS) and refuses a listen address beyond loopback without it. Throws
    /// `TLSSetupError` (including `.tlsRequired`) with a one-line message.
    public mutating func applyTLS(directory: String?, logger: Logger) throws {
        if let directory {
            let tls = try ClusterTLS(directory: directory, role: PeerRole(role))
            for w in tls.warnings { logger.warning("\(w)") }
            hooks.useTLS(tls, logger: logger)
        }
        if let refusal = ListenPolicy.refusal(listenHost: listenHost, hasTLS: directory != nil) {
            throw TLSSetupError.tlsRequired(refusal)
        }
    }
}
