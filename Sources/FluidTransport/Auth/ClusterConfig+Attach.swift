import FluidModel

extension ClusterConfig {
    /// `fluid run --attach master=HOST:PORT,worker=HOST:PORT`: drive two nodes started
    /// elsewhere (other hosts, network namespaces) instead of spawning them on loopback.
    /// Faults cannot be injected then (the processes are not this one's children).
    public mutating func attach(spec: String) throws {
        var found: [Role: (String, Int)] = [:]
        for item in spec.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, let role = Role(rawValue: kv[0].lowercased()), found[role] == nil else {
                throw NodeError.badAddress("--attach '\(spec)' is not master=HOST:PORT,worker=HOST:PORT")
            }
            found[role] = try parseHostPort(kv[1], option: "--attach \(role.rawValue)")
        }
        guard let m = found[.master], let w = found[.worker] else {
            throw NodeError.badAddress("--attach '\(spec)' needs both master=HOST:PORT and worker=HOST:PORT")
        }
        nodeHosts = [.master: m.0, .worker: w.0]
        ports = (m.1, w.1)
        attached = true
    }
}
