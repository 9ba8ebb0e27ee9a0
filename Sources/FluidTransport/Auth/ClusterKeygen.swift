import Crypto
import FluidCluster
import Foundation
import SwiftASN1
import X509

/// `fluid keygen DIR`: a cluster CA and one certificate + key per role, ECDSA P-256, made
/// with swift-certificates (layout in `ClusterIdentity`).
public enum ClusterKeygen {
    /// How long the certificates are valid. A small cluster has no revocation list; the
    /// answer to a stolen key is a new folder (`--force`) on every device, so there is no
    /// point in a short life that would only make a demo folder expire under its user.
    public static let validity: TimeInterval = 5 * 365 * 86_400
    /// Backdating covers devices whose clocks are a little behind the one that made the keys.
    public static let backdate: TimeInterval = 3_600

    /// Every file `generate` writes, relative to the folder.
    public static var files: [String] {
        [ClusterIdentity.caCertificateFile, ClusterIdentity.caKeyFile]
            + ClusterIdentity.roles.flatMap { [ClusterIdentity.certificateFile($0), ClusterIdentity.keyFile($0)] }
    }

    /// Writes the CA and the three role pairs into `directory` (created if needed). Refuses
    /// to replace an existing file unless `force`. Keys are written mode 0600, certificates 0644.
    public static func generate(into directory: String, force: Bool, now: Date = Date()) throws {
        let fm = FileManager.default
        if !force {
            for f in files {
                let p = (directory as NSString).appendingPathComponent(f)
                if fm.fileExists(atPath: p) { throw TLSSetupError.exists(p) }
            }
        }
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                   attributes: [.posixPermissions: 0o700])
        } catch {
            throw TLSSetupError.cannotWrite(path: directory, reason: "\(error.localizedDescription)")
        }

        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            OrganizationName("Fluid cluster")
            CommonName("Fluid cluster CA \(UUID().uuidString.prefix(8))")
        }
        let caPublic = Certificate.PublicKey(caKey.publicKey)
        let caKeyID = ArraySlice(SHA256.hash(data: caPublic.subjectPublicKeyInfoBytes).prefix(20))
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: caPublic,
            notValidBefore: now - backdate, notValidAfter: now + validity,
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(keyIdentifier: caKeyID)
            },
            issuerPrivateKey: .init(caKey))
        try write(pem(ca), to: directory, ClusterIdentity.caCertificateFile, mode: 0o644)
        try write(caKey.pemRepresentation, to: directory, ClusterIdentity.caKeyFile, mode: 0o600)

        for role in ClusterIdentity.roles {
            let key = P256.Signing.PrivateKey()
            let name = try DistinguishedName {
                OrganizationName("Fluid cluster")
                OrganizationalUnitName(role.description)
                CommonName("fluid \(role.description)")
            }
            let cert = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: now - backdate, notValidAfter: now + validity,
                issuer: caName, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    // A node is a TLS server to sources and, for the Master, a client to the
                    // Worker; one certificate serves both.
                    try ExtendedKeyUsage([.serverAuth, .clientAuth])
                    SubjectAlternativeNames([.uniformResourceIdentifier(ClusterIdentity.roleURI(role))])
                    AuthorityKeyIdentifier(keyIdentifier: caKeyID)
                },
                issuerPrivateKey: .init(caKey))
            try write(pem(cert), to: directory, ClusterIdentity.certificateFile(role), mode: 0o644)
            try write(key.pemRepresentation, to: directory, ClusterIdentity.keyFile(role), mode: 0o600)
        }
    }

    static func pem(_ c: Certificate) throws -> String {
        var ser = DER.Serializer()
        try ser.serialize(c)
        return PEMDocument(type: "CERTIFICATE", derBytes: ser.serializedBytes).pemString
    }

    /// Creates the file with its final mode before a byte is written (a key is never readable
    /// by others, not even for a moment).
    static func write(_ text: String, to directory: String, _ name: String, mode: mode_t) throws {
        let path = (directory as NSString).appendingPathComponent(name)
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw TLSSetupError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        fchmod(fd, mode)  // the umask may have taken bits off a certificate's 0644
        let bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw TLSSetupError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
    }
}
