import FluidCluster
import Foundation
import NIOSSL
import X509

/// The layout of a `fluid keygen DIR` folder and the role a certificate is bound to
/// (docs/security.md).
///
/// ```
/// DIR/ca.pem                     the cluster CA's certificate (every device needs it)
/// DIR/ca.key                     the CA's private key (keep it off the devices; mode 0600)
/// DIR/master.pem  master.key     the Master's certificate and key
/// DIR/worker.pem  worker.key     the Worker's
/// DIR/source.pem  source.key     the source's (fluid run / demo / bench)
/// ```
///
/// A role is bound in its certificate twice, and both must agree: the subject's
/// OU is the role and the subjectAltName holds the URI `fluid:role:<role>`. Only the URI is
/// authoritative when a connection is checked (a SAN is what TLS stacks are meant to
/// match on); the OU makes `openssl x509 -noout -subject` readable.
public enum ClusterIdentity {
    public static let caCertificateFile = "ca.pem"
    public static let caKeyFile = "ca.key"
    public static let uriPrefix = "fluid:role:"

    public static func certificateFile(_ role: PeerRole) -> String { "\(role).pem" }
    public static func keyFile(_ role: PeerRole) -> String { "\(role).key" }

    public static func roleURI(_ role: PeerRole) -> String { uriPrefix + role.description }

    /// Every role a certificate can carry.
    public static let roles: [PeerRole] = [.master, .worker, .source]

    /// The role bound in `certificate` (its `fluid:role:` SAN URI), or a reason why there is none.
    public static func role(of certificate: Certificate) -> Result<PeerRole, TLSSetupError> {
        let uris: [String]
        do {
            uris = (try certificate.extensions.subjectAlternativeNames ?? SubjectAlternativeNames()).compactMap {
                if case .uniformResourceIdentifier(let u) = $0, u.hasPrefix(uriPrefix) { return u }
                return nil
            }
        } catch {
            return .failure(.noRole("its subjectAltName does not parse: \(error)"))
        }
        guard uris.count == 1, let role = roles.first(where: { roleURI($0) == uris[0] }) else {
            return .failure(.noRole(uris.isEmpty ? "it carries no \(uriPrefix)… URI"
                                    : "it carries \(uris.joined(separator: ", ")) (exactly one known role is required)"))
        }
        return .success(role)
    }

    /// The role of a peer's certificate as NIOSSL hands it over.
    public static func role(of certificate: NIOSSLCertificate) -> Result<PeerRole, TLSSetupError> {
        do {
            return role(of: try Certificate(derEncoded: try certificate.toDERBytes()))
        } catch {
            return .failure(.noRole("it does not parse as X.509: \(error)"))
        }
    }
}

/// Why a TLS directory cannot be used, or a peer's certificate names no role. The
/// description is the one-line message the CLI prints.
public enum TLSSetupError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case unreadable(path: String, reason: String)
    case roleMismatch(path: String, expected: PeerRole, found: PeerRole)
    case noRole(String)
    case exists(String)
    case cannotWrite(path: String, reason: String)
    case secretFileRemoved
    case tlsRequired(String)

    public var description: String {
        switch self {
        case .missingFile(let p):
            return "TLS file '\(p)' is missing (make the folder with `fluid keygen DIR`)"
        case .unreadable(let p, let r):
            return "TLS file '\(p)': \(r)"
        case .roleMismatch(let p, let e, let f):
            return "certificate '\(p)' is bound to role \(f), not \(e) (files renamed or mixed up?)"
        case .noRole(let why):
            return "certificate names no Fluid role: \(why)"
        case .exists(let p):
            return "'\(p)' already exists; pass --force to replace the cluster's keys (every device then needs the new folder)"
        case .cannotWrite(let p, let r):
            return "cannot write '\(p)': \(r)"
        case .secretFileRemoved:
            return "--secret-file is gone: the shared-secret handshake was replaced by TLS with a certificate per role; "
                + "run `fluid keygen DIR` once and pass --tls DIR on every device"
        case .tlsRequired(let m):
            return m
        }
    }
}
