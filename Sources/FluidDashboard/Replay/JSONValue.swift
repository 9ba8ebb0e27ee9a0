import Foundation

/// A parsed JSON value, kept as plain data so session-log records stay Equatable
/// and fields nobody asked for are carried along instead of dropped.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Converts what `JSONSerialization` returns; nil for anything else.
    init?(foundation value: Any) {
        switch value {
        case is NSNull: self = .null
        case let n as NSNumber:
            // JSONSerialization gives booleans as NSNumber too; their ObjC type is
            // "c" (char) on both Darwin and corelibs Foundation, which numbers never use.
            if String(cString: n.objCType) == "c" { self = .bool(n.boolValue) }
            else { self = .number(n.doubleValue) }
        case let s as String: self = .string(s)
        case let a as [Any]:
            var out: [JSONValue] = []
            for v in a { guard let j = JSONValue(foundation: v) else { return nil }; out.append(j) }
            self = .array(out)
        case let o as [String: Any]:
            var out: [String: JSONValue] = [:]
            for (k, v) in o { guard let j = JSONValue(foundation: v) else { return nil }; out[k] = j }
            self = .object(out)
        default: return nil
        }
    }

    public var double: Double? { if case .number(let d) = self { return d } else { return nil } }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var int: Int? { double.flatMap { $0.isFinite ? Int(exactly: $0.rounded()) : nil } }

    public subscript(key: String) -> JSONValue? { object?[key] }
}
