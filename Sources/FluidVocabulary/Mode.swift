/// Execution mode of a two-device cluster (docs/cluster.md): both devices on one image (HA)
/// or each device on its own images (HT).
public enum Mode: String, CaseIterable, Codable, Sendable {
    case ha, ht
}

/// What the user asks for: a fixed mode, or `auto` (the controller picks HA or HT for the
/// offered rate: `AdaptiveController.autoMode` in FluidCluster).
public enum ModeSetting: String, CaseIterable, Codable, Sendable {
    case ha, ht, auto
}
