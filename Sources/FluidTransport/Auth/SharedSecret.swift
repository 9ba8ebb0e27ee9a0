import Crypto
import Foundation

/// The cluster's shared secret, read from `--secret-file` (issue 5 item 7).
///
/// The file's bytes are the secret, less trailing line breaks (so `echo … > file` and an
/// editor's final newline give the same secret on every device). Any length from one byte
/// up to 64 KiB is accepted; 32 random bytes (`head -c 32 /dev/urandom > secret`) is the
/// recommendation.
public struct SharedSecret: @unchecked Sendable {  // SymmetricKey is an immutable value
    /// HMAC key.
    public let key: SymmetricKey
    /// Where it came from (for messages).
    public let path: String
    /// Things worth a warning (a file others can read, a short secret); not fatal.
    public let warnings: [String]

    /// Largest secret file accepted: anything bigger is not a secret file.
    public static let maxBytes = 64 << 10

    /// Reads `path`. Throws `SecretFileError` for a missing, unreadable, empty or oversized file.
    public init(contentsOfFile path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw SecretFileError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw SecretFileError.unreadable(path: path, reason: "not a regular file") }
        guard Int(st.st_size) <= SharedSecret.maxBytes else {
            throw SecretFileError.tooLarge(path: path, bytes: Int(st.st_size), limit: SharedSecret.maxBytes)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SecretFileError.unreadable(path: path, reason: "cannot read it")
        }
        var warnings: [String] = []
        if st.st_mode & (S_IRGRP | S_IROTH) != 0 {
            warnings.append(String(format: "secret file '%@' is readable by group or others (mode %03o); chmod 600 it",
                                   path, Int(st.st_mode & 0o777)))
        }
        try self.init(bytes: Array(data), path: path, warnings: warnings)
    }

    /// A secret from bytes (tests; trailing line breaks are trimmed as for a file).
    public init(bytes: [UInt8], path: String = "(memory)", warnings: [String] = []) throws {
        var b = bytes
        while let last = b.last, last == 0x0a || last == 0x0d { b.removeLast() }
        guard !b.isEmpty else { throw SecretFileError.empty(path: path) }
        guard b.count <= SharedSecret.maxBytes else {
            throw SecretFileError.tooLarge(path: path, bytes: b.count, limit: SharedSecret.maxBytes)
        }
        var w = warnings
        if b.count < 16 { w.append("secret in '\(path)' is only \(b.count) bytes; 32 random bytes are recommended") }
        key = SymmetricKey(data: b)
        self.path = path
        self.warnings = w
    }
}

public enum SecretFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case empty(path: String)
    case tooLarge(path: String, bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .unreadable(let p, let r):
            return "secret file '\(p)': \(r)"
        case .empty(let p):
            return "secret file '\(p)' is empty (write a secret into it, e.g. head -c 32 /dev/urandom > '\(p)')"
        case .tooLarge(let p, let n, let l):
            return "secret file '\(p)' is \(n) bytes, more than the \(l) a secret may have (wrong file?)"
        }
    }
}
