import FluidCluster
import Foundation
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import X509

/// One process's TLS identity, loaded once from a `fluid keygen` folder: its role's
/// certificate and key and the cluster CA as the only trust root (never the system's).
///
/// Both contexts speak TLS 1.3 only and both demand a certificate from the other side
/// (mutual authentication): a node's accepting side is a TLS server that requires a
/// client certificate; a dialing side (the Master to the Worker, a source to a node) is a
/// client that checks the server's. Host names are not checked — nodes are addressed by IP
/// and the identity that matters is the role — the role is checked instead
/// (`TLSRoleCheck`) on both sides of every connection.
public final class ClusterTLS: Sendable {
    public let role: PeerRole
    public let directory: String
    let serverContext: NIOSSLContext
    let clientContext: NIOSSLContext
    /// Things worth a warning (a key file others can read); not fatal.
    public let warnings: [String]

    /// Loads `directory`'s CA and `role`'s pair. Throws `TLSSetupError` naming the file.
    public init(directory: String, role: PeerRole) throws {
        self.role = role
        self.directory = directory
        func path(_ f: String) -> String { (directory as NSString).appendingPathComponent(f) }
        let caPath = path(ClusterIdentity.caCertificateFile)
        let certPath = path(ClusterIdentity.certificateFile(role))
        let keyPath = path(ClusterIdentity.keyFile(role))
        var warnings: [String] = []
        for p in [caPath, certPath, keyPath] {
            var st = stat()
            guard stat(p, &st) == 0 else {
                throw errno == ENOENT ? TLSSetupError.missingFile(p)
                    : TLSSetupError.unreadable(path: p, reason: String(cString: strerror(errno)))
            }
            guard (st.st_mode & S_IFMT) == S_IFREG else { throw TLSSetupError.unreadable(path: p, reason: "not a regular file") }
            guard st.st_size <= 64 << 10 else { throw TLSSetupError.unreadable(path: p, reason: "\(st.st_size) bytes is not a PEM file") }
            if p == keyPath, st.st_mode & (S_IRGRP | S_IROTH) != 0 {
                warnings.append(String(format: "key file '%@' is readable by group or others (mode %03o); chmod 600 it",
                                       p, Int(st.st_mode & 0o777)))
            }
        }
        let ca: NIOSSLCertificate, cert: NIOSSLCertificate, key: NIOSSLPrivateKey
        // The first certificate of each PEM file (a file holds exactly one here).
        func first(_ path: String) throws -> NIOSSLCertificate {
            do {
                guard let c = try NIOSSLCertificate.fromPEMFile(path).first else {
                    throw TLSSetupError.unreadable(path: path, reason: "no certificate in the file")
                }
                return c
            } catch let e as TLSSetupError { throw e } catch {
                throw TLSSetupError.unreadable(path: path, reason: "not a PEM certificate (\(error))")
            }
        }
        ca = try first(caPath)
        cert = try first(certPath)
        do { key = try NIOSSLPrivateKey(file: keyPath, format: .pem) } catch {
            throw TLSSetupError.unreadable(path: keyPath, reason: "not a PEM private key (\(error))")
        }
        switch ClusterIdentity.role(of: cert) {
        case .failure(let e): throw TLSSetupError.unreadable(path: certPath, reason: "\(e)")
        case .success(let found) where found != role: throw TLSSetupError.roleMismatch(path: certPath, expected: role, found: found)
        case .success: break
        }

        var server = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: [.certificate(cert)], privateKey: .privateKey(key), trustRoots: .certificates([ca]))
        server.minimumTLSVersion = .tlsv13
        var client = TLSConfiguration.makeClientConfiguration()
        client.minimumTLSVersion = .tlsv13
        client.certificateVerification = .noHostnameVerification
        client.trustRoots = .certificates([ca])
        client.certificateChain = [.certificate(cert)]
        client.privateKey = .privateKey(key)
        do {
            serverContext = try NIOSSLContext(configuration: server)
            clientContext = try NIOSSLContext(configuration: client)
        } catch {
            throw TLSSetupError.unreadable(path: keyPath, reason: "key does not fit certificate '\(certPath)' (\(error))")
        }
        self.warnings = warnings
    }

    /// The roles this process accepts at the other end of a connection. A node's accepted
    /// connections come from sources or its peer device; what it dials is its peer; a
    /// source dials nodes (which node, `SourceLink.role` vs the hello, is checked above).
    /// Never its own role: a Master's certificate cannot talk to the Master.
    public func acceptedPeerRoles(isInitiator: Bool) -> Set<PeerRole> {
        switch role {
        case .source: return [.master, .worker]
        case .master: return isInitiator ? [.worker] : [.source, .worker]
        case .worker: return isInitiator ? [.master] : [.source, .master]
        }
    }

    /// The TLS handler and role check for one new connection (socket side first).
    public func handlers(isInitiator: Bool, logger: Logger) throws -> [ChannelHandler] {
        let tls: ChannelHandler = isInitiator
            ? try NIOSSLClientHandler(context: clientContext, serverHostname: nil)
            : NIOSSLServerHandler(context: serverContext)
        return [tls, TLSRoleCheck(accepted: acceptedPeerRoles(isInitiator: isInitiator), logger: logger)]
    }
}

/// The role a connection's certificate proved, sent up the pipeline once the TLS
/// handshake (and with it the chain to the cluster CA) completed and the role is one this
/// side accepts. `WireLinkHandler` holds the hello to it.
public struct PeerCertified: Sendable, Equatable {
    public let role: PeerRole
}

/// Right after NIOSSL: on `handshakeCompleted` reads the role bound in the peer's
/// (already CA-verified) certificate; a certificate without a role, or with one this side
/// does not accept on this connection, closes the connection with a logged reason. No
/// application byte passes before the check (NIOSSL delivers none before the handshake
/// completes; any that came earlier would be dropped here).
final class TLSRoleCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let accepted: Set<PeerRole>
    let logger: Logger
    private(set) var certified: PeerRole?

    init(accepted: Set<PeerRole>, logger: Logger) {
        self.accepted = accepted; self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let e = event as? TLSUserEvent, case .handshakeCompleted = e else {
            return context.fireUserInboundEventTriggered(event)
        }
        context.fireUserInboundEventTriggered(event)
        let peer = context.channel.remoteAddress.map { "\($0)" } ?? "?"
        let cert = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self).peerCertificate
        guard let cert else { return refuse(context, peer: peer, "the peer presented no certificate") }
        switch ClusterIdentity.role(of: cert) {
        case .failure(let why):
            refuse(context, peer: peer, "\(why)")
        case .success(let role) where !accepted.contains(role):
            refuse(context, peer: peer, "its certificate is bound to role \(role), which may not open this connection "
                   + "(accepted here: \(accepted.map(\.description).sorted().joined(separator: ", ")))")
        case .success(let role):
            certified = role
            context.fireUserInboundEventTriggered(PeerCertified(role: role))
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard certified != nil else { return }
        context.fireChannelRead(data)
    }

    private func refuse(_ context: ChannelHandlerContext, peer: String, _ reason: String) {
        logger.warning("closing connection: TLS peer refused: \(reason)", metadata: ["from": "\(peer)"])
        context.fireErrorCaught(TLSRoleError(reason: reason))
        context.close(promise: nil)
    }
}

public struct TLSRoleError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "TLS peer refused: \(reason)" }
}

extension PipelineHooks {
    /// Every connection of this process — node ↔ node and source ↔ node, both directions —
    /// runs TLS 1.3 with `tls`'s identity where the authenticator hook sits (before any
    /// frame is decoded, after the byte counter and link shaper).
    public mutating func useTLS(_ tls: ClusterTLS, logger: Logger) {
        self.tls = tls
        authenticator = { _, isInitiator in try tls.handlers(isInitiator: isInitiator, logger: logger) }
    }
}

/// Where a node may listen without TLS.
public enum ListenPolicy {
    /// True for an address only this machine can reach: 127.0.0.0/8, ::1, "localhost".
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Why a node may not listen on `host`, or nil. Beyond loopback anyone who can reach
    /// the port could join as a device or send requests, so TLS is required there.
    public static func refusal(listenHost host: String, hasTLS: Bool) -> String? {
        guard !hasTLS, !isLoopback(host) else { return nil }
        return "--listen \(host) is beyond loopback: that needs --tls DIR (make DIR once with `fluid keygen DIR`, "
            + "copy it to every device)"
    }
}
