/// What is wrong with a file, without the file's name: one case per check, so that callers
/// and tests can tell them apart, and `reason` to say it to a person.
public protocol FileProblem: Equatable, Sendable {
    var reason: String { get }
}

/// A file could not be used: `description` is "path: reason". One shape for every file
/// format's errors (`SafetensorsError`, `ModelFileError`); the format defines its `Problem`.
public struct FileError<P: FileProblem>: Error, CustomStringConvertible, Equatable {
    public typealias Problem = P

    public let path: String
    public let problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(reason)" }

    /// The problem without the file name.
    public var reason: String { problem.reason }
}
