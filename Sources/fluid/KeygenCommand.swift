import ArgumentParser
import Foundation
import FluidTransport

/// `fluid keygen DIR`: the cluster's CA and one certificate + key per role (docs/security.md).
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create a cluster CA and a certificate + key for the master, worker and source roles.",
        discussion: """
        Writes DIR/ca.pem, DIR/ca.key and DIR/<role>.pem + DIR/<role>.key for master, worker and
        source (ECDSA P-256; keys mode 0600). Each certificate binds its role (subjectAltName URI
        fluid:role:<role>); a connection is refused unless the certificate's role fits it.
        Copy DIR to every device (ca.key may stay behind) and pass --tls DIR to node, run, demo
        and bench. A stolen key: run keygen again with --force and replace DIR everywhere.
        """)

    @Argument(help: "Folder to create (or fill)") var directory: String
    @Flag(help: "Replace the keys and certificates already in DIR") var force = false

    func run() throws {
        do {
            try ClusterKeygen.generate(into: directory, force: force)
        } catch let e as TLSSetupError {
            throw CommandFailure(e)
        }
        print("fluid keygen: cluster CA and master, worker, source certificates in \(directory)")
        for f in ClusterKeygen.files { print("  \((directory as NSString).appendingPathComponent(f))") }
    }
}
