import Foundation
import FluidTransport
import Logging

extension ClusterConfig {
    /// What `fluid run` and `fluid bench` set alike: node output into `nodeLogs` (created if
    /// needed; nil = discarded) and a controller logger on stderr at `level`.
    mutating func applyCLI(nodeLogs: String?, logLabel: String, level: Logger.Level) throws {
        if let d = nodeLogs {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            nodeOutput = .directory(d)
        }
        var logger = Logger(label: logLabel) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        self.logger = logger
    }
}
