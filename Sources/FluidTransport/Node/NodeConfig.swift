import FluidCluster
import FluidModel

/// What `fluid node` is told on its command line.
public struct NodeConfig: Sendable {
    public var role: Role
    public var listenHost: String
    public var listenPort: Int
    public var peerHost: String
    public var peerPort: Int
    public var weightsPath: String
    public var settings = ClusterSettings()
    /// What the node grants its clients (connections, idle time, requests in flight).
    public var limits = ConnectionLimits()
    public var hooks = PipelineHooks()
    /// Joint batches in flight at once (each holds one JointEngine per device, ~3 MB of
    /// activations at 128 images). Two hide the round trips of a dense exchange (one batch
    /// computes while the other waits for the peer); more only push the working set out of
    /// the cache (measured with `fluid bench cluster`: 2 slots were the fastest on loopback).
    public var jointSlots = 2
    /// Largest batch a node computes in one go (source frames are at most this large).
    public var maxBatch = Message.maxBatch

    public init(role: Role, listenHost: String, listenPort: Int, peerHost: String, peerPort: Int, weightsPath: String) {
        self.role = role; self.listenHost = listenHost; self.listenPort = listenPort
        self.peerHost = peerHost; self.peerPort = peerPort; self.weightsPath = weightsPath
    }
}

/// "HOST:PORT" → (host, port), with a message naming the option on error.
public func parseHostPort(_ s: String, option: String) throws -> (String, Int) {
    guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else {
        throw NodeError.badAddress("\(option) '\(s)' is not HOST:PORT")
    }
    var host = String(s[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty else { throw NodeError.badAddress("\(option) '\(s)' has no host") }
    return (host, port)
}

public enum NodeError: Error, CustomStringConvertible {
    case badAddress(String)
    case weights(String)
    case portInUse(host: String, port: Int)
    public var description: String {
        switch self {
        case .badAddress(let m): return m
        case .weights(let m): return m
        case .portInUse(let h, let p): return "port \(p) on \(h) is in use (another fluid node?): pick another --listen port"
        }
    }
}
