/// What is wrong with a file, without the file's name: one case per check, so that callers
/// and tests can tell them apart, and `reason` to say it to a person.
package protocol FileProblem: Equatable, Sendable {
    var reason: String { get }
}

/// A file could not be used: `description` is "path: reason". One shape for every file
/// format's errors (`SafetensorsError`, `ModelFileError`); the format defines its `Problem`.
package struct FileError<P: FileProblem>: Error, CustomStringConvertible, Equatable {
    package typealias Problem = P

    package let path: String
    package let problem: Problem

    package init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(reason)" }

    /// The problem without the file name.
    package var reason: String { problem.reason }
}
