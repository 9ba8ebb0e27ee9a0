import FluidModel

/// The inference engines of one node, touched only on its compute loop (`NodeServer.engines`
/// is bound to it): solo engines by sub-network, joint engines by (sub-network, slot).
/// Engines are built the first time a plan needs them ("prepare once, run many") and kept,
/// so a plan that comes back after a failure costs nothing to redeploy.
final class EnginePool {
    let weights: CNNWeights
    let role: Role
    let maxBatch: Int
    private var solo: [String: SubnetEngine] = [:]
    private var joint: [String: [JointEngine]] = [:]

    init(weights: CNNWeights, role: Role, maxBatch: Int) {
        self.weights = weights
        self.role = role
        self.maxBatch = maxBatch
    }

    func soloEngine(_ s: Subnet) -> SubnetEngine {
        if let e = solo[s.name] { return e }
        let e = SubnetEngine(weights: weights, subnet: s, maxBatch: maxBatch)
        solo[s.name] = e
        return e
    }

    func jointEngine(_ s: Subnet, slot: Int) -> JointEngine {
        var list = joint[s.name] ?? []
        while list.count <= slot { list.append(JointEngine(weights: weights, role: role, subnet: s, maxBatch: maxBatch)) }
        joint[s.name] = list
        return list[slot]
    }
}
