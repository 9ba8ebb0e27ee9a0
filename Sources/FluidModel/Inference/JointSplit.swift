import FluidKernels

/// How a joint (HA) run of `subnet` divides its channels between the two devices, and
/// which activations must cross (docs/model.md, "Joint (HA) execution").
///
/// A device computes own = role.ownedChannels ∩ subnet; the peer computes the rest of the
/// subnet (a prefix or a suffix of it). Whether a device needs the peer's channels after
/// layer l is a pure question on the weights it holds: do its rows of layer l+1 have a
/// nonzero weight on a peer channel? Group-triangular weights: the Master never needs the
/// Worker (a one-way stream); dense weights: both ways. conv3's output is never exchanged
/// (fc is split by features), so l is 1 or 2.
package struct JointSplit: Sendable, Equatable {
    package let role: Role
    package let subnet: Subnet
    /// Output channels this device computes (absolute channel numbers).
    package let own: Range<Int>
    /// Channels of the subnet the peer computes (absolute).
    package let peer: Range<Int>

    package init(role: Role, subnet: Subnet) {
        self.role = role
        self.subnet = subnet
        let s = subnet.channels, owned = role.ownedChannels
        let lo = max(s.lowerBound, owned.lowerBound)
        let own = lo..<max(lo, min(s.upperBound, owned.upperBound))
        self.own = own
        peer = own.isEmpty ? s : (own.lowerBound == s.lowerBound ? own.upperBound..<s.upperBound : s.lowerBound..<own.lowerBound)
    }

    /// Layers after which activations may cross.
    package static let exchangedLayers = 1...2

    /// True iff this device's rows of layer l+1 in `weights` read a peer channel after
    /// layer l, i.e. it must receive the peer's activations before computing layer l+1.
    /// False for l outside `exchangedLayers`.
    package func needsPeerActivations(after l: Int, in weights: CNNWeights) -> Bool {
        guard Self.exchangedLayers.contains(l) else { return false }
        let w = l == 1 ? weights.conv2Weight : weights.conv3Weight
        let c = CNN.fullWidth, taps = ConvLayer.taps
        for o in own { for i in peer { for k in 0..<taps where w[(o * c + i) * taps + k] != 0 { return true } } }
        return false
    }

    /// `needsPeerActivations(after:in:)` for l = 1, 2: what a node announces with a plan.
    package func peerActivationNeeds(in weights: CNNWeights) -> [Bool] {
        Self.exchangedLayers.map { needsPeerActivations(after: $0, in: weights) }
    }
}

extension CNNWeights {
    /// Whether `role` needs the peer's activations after conv1 / conv2 under `plan`
    /// ([false, false] unless the plan runs a joint sub-network on it). Reads only the
    /// weights' zero blocks; builds no engine.
    package func peerActivationNeeds(role: Role, plan: Plan) -> [Bool] {
        guard case .joint(let s) = plan.job(for: role) else { return JointSplit.exchangedLayers.map { _ in false } }
        return JointSplit(role: role, subnet: s).peerActivationNeeds(in: self)
    }
}
