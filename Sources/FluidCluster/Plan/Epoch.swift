import FluidModel

/// Plan epochs that never tie (invariant c of docs/cluster.md).
///
/// Both devices may lead (the Worker while it believes the Master dead), and two leaders
/// that cannot hear each other both issue plans. An epoch is `term << 1 | leader bit`
/// (Master 1, Worker 0), and a leader's next epoch takes a term above every epoch it has
/// seen: two plans from different leaders never carry the same epoch, and the plans of one
/// leader are strictly increasing. Epochs are bounded by `limit`, far below overflow;
/// `WireFormat` refuses larger ones from the wire.
public enum Epoch {
    /// 2^48: a plan a millisecond for 8 900 years.
    public static let limit: UInt64 = 1 << 48

    /// The leader bit of `role`.
    public static func bit(_ role: Role) -> UInt64 { role == .master ? 1 : 0 }

    /// The next epoch `leader` issues when it has seen epochs up to `seen`. Saturates at `limit`.
    public static func next(after seen: UInt64, leader: Role) -> UInt64 {
        let term = min(seen, limit) >> 1 + 1
        return min(term << 1 | bit(leader), limit | bit(leader))
    }

    /// Which device issued `epoch`.
    public static func leader(of epoch: UInt64) -> Role { epoch & 1 == 1 ? .master : .worker }
}
