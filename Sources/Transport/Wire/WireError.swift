/// Why bytes from the network could not be decoded. Every decoder throws one
/// of these instead of trapping; the node counts it and drops the input.
public enum WireError: Error, Equatable, CustomStringConvertible {
    /// The input ended before the field that was being read.
    case truncated(field: String)
    /// A length field or count is above the configured cap; nothing was allocated.
    case oversize(field: String, length: Int, limit: Int)
    /// A version byte this build does not speak.
    case unsupportedVersion(Int)
    /// A frame or payload kind this build does not know.
    case unknownKind(Int)
    /// Bytes left over after the last field.
    case trailingBytes(Int)
    /// A topic this build does not speak.
    case unknownTopic(String)
    /// A field that decoded but holds a value that is not allowed.
    case invalid(String)

    public var description: String {
        switch self {
        case .truncated(let field): return "truncated input while reading \(field)"
        case .oversize(let field, let length, let limit): return "\(field) is \(length) bytes/items, the limit is \(limit)"
        case .unsupportedVersion(let v): return "unsupported wire version \(v)"
        case .unknownKind(let k): return "unknown kind \(k)"
        case .trailingBytes(let n): return "\(n) unexpected bytes after the last field"
        case .unknownTopic(let t): return "unknown topic '\(t)'"
        case .invalid(let why): return "invalid field: \(why)"
        }
    }
}
