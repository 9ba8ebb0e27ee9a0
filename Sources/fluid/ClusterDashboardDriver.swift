import FluidDashboard
import Foundation
import Logging

/// Adapter: FluidTransport's ClusterController ⇄ the dashboard's DashboardDriver.
/// (Placeholder until the controller lands.)
final class ClusterDashboardDriver: DashboardDriver {
    init(kind: DashboardKind, mode: DashboardMode, rate: Double?, modelsDirectory: String, logger: Logger) throws {
        throw ValidationErrorText("the cluster controller is not built yet; try `fluid replay FILE.jsonl`")
    }
    func snapshot() -> DashboardSnapshot { DashboardSnapshot() }
    func perform(_ action: DashboardAction) {}
    func shutdown() {}
}

struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
