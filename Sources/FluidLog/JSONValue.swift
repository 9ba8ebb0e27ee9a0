import Foundation

/// A JSON value for the session log, written and read: objects keep their key order, so
/// log lines read `type` first (Foundation's encoders do not promise an order; scripts do
/// not care, people do), and a reader keeps the fields it does not know instead of
/// dropping them.
public indirect enum JSONValue: Equatable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    case null
    case bool(Bool)
    case int(Int)
    /// Printed with at most `digits` decimals; nil (a number read from text) prints it exactly.
    case number(Double, digits: Int?)
    case string(String)
    case array([JSONValue])
    /// Keys in order; lookups take the first match.
    case object([(String, JSONValue)])

    public init(stringLiteral v: String) { self = .string(v) }
    public init(integerLiteral v: Int) { self = .int(v) }
    public init(floatLiteral v: Double) { self = .number(v, digits: 3) }
    public init(booleanLiteral v: Bool) { self = .bool(v) }

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized() == b.serialized() }

    // MARK: writing

    /// Compact one-line JSON.
    public func serialized() -> String {
        var s = ""
        write(into: &s)
        return s
    }

    func write(into s: inout String) {
        switch self {
        case .null: s += "null"
        case .bool(let b): s += b ? "true" : "false"
        case .int(let i): s += String(i)
        case .number(let d, let digits):
            guard d.isFinite else { s += "null"; return }
            guard let digits else { s += "\(d)"; return }
            if d == d.rounded(), abs(d) < 1e15 { s += String(Int(d)); if digits > 0 { s += ".0" }; return }
            var p = 1.0
            for _ in 0..<max(0, digits) { p *= 10 }
            let r = (d * p).rounded() / p
            s += "\(r)"
        case .string(let str): JSONValue.quote(str, into: &s)
        case .array(let a):
            s += "["
            for (i, v) in a.enumerated() { if i > 0 { s += "," }; v.write(into: &s) }
            s += "]"
        case .object(let o):
            s += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { s += "," }
                JSONValue.quote(k, into: &s); s += ":"; v.write(into: &s)
            }
            s += "}"
        }
    }

    static func quote(_ str: String, into s: inout String) {
        s += "\""
        for u in str.unicodeScalars {
            switch u {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    s += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else { s.unicodeScalars.append(u) }
            }
        }
        s += "\""
    }

    // MARK: reading

    /// Parses one JSON text (a log line); nil when it is not JSON.
    public static func parse(_ text: String) -> JSONValue? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return nil }
        return JSONValue(foundation: object)
    }

    /// Converts what `JSONSerialization` returns (object keys sorted, so equal text gives
    /// equal values); nil for anything else.
    init?(foundation value: Any) {
        switch value {
        case is NSNull: self = .null
        case let n as NSNumber:
            // JSONSerialization gives booleans as NSNumber too; their ObjC type is
            // "c" (char) on both Darwin and corelibs Foundation, which numbers never use.
            switch String(cString: n.objCType) {
            case "c": self = .bool(n.boolValue)
            case "d", "f": self = .number(n.doubleValue, digits: nil)
            default: self = Int(exactly: n.int64Value).map { .int($0) } ?? .number(n.doubleValue, digits: nil)
            }
        case let s as String: self = .string(s)
        case let a as [Any]:
            var out: [JSONValue] = []
            for v in a { guard let j = JSONValue(foundation: v) else { return nil }; out.append(j) }
            self = .array(out)
        case let o as [String: Any]:
            var out: [(String, JSONValue)] = []
            for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                guard let j = JSONValue(foundation: v) else { return nil }
                out.append((k, j))
            }
            self = .object(out)
        default: return nil
        }
    }

    /// A number (integer or not).
    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .number(let d, _): return d
        default: return nil
        }
    }
    public var int: Int? {
        if case .int(let i) = self { return i }
        return double.flatMap { $0.isFinite ? Int(exactly: $0.rounded()) : nil }
    }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    /// An object's members by key (the first of a repeated key).
    public var object: [String: JSONValue]? {
        guard case .object(let o) = self else { return nil }
        return Dictionary(o, uniquingKeysWith: { first, _ in first })
    }

    /// Member lookup on objects.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o.first { $0.0 == key }?.1 }
        return nil
    }
}
