import ArgumentParser
import FluidCluster

// The enumerated options parse straight into the vocabulary's types: a value outside the
// set is a usage error that lists the choices, and `run` never unwraps a string again.
// Case does not matter (`--role Master` works as it always did).

extension ModelKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension ModeSetting: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension Role: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}
