/// A JSON value with exact integers (lamports are u64; a Double would round
/// them), a writer and a bounded parser. Used for JSON-RPC only.
public indirect enum JSON: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default:
            if let x = a.uint64, let y = b.uint64 { return x == y }
            if let x = a.int64, let y = b.int64 { return x == y }
            if case let .double(x) = a, case let .double(y) = b { return x == y }
            return false
        }
    }

    public subscript(key: String) -> JSON? {
        if case let .object(members) = self { return members.first(where: { $0.0 == key })?.1 }
        return nil
    }

    public var string: String? { if case let .string(s) = self { return s }; return nil }
    public var array: [JSON]? { if case let .array(a) = self { return a }; return nil }
    public var bool: Bool? { if case let .bool(b) = self { return b }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    public var uint64: UInt64? {
        switch self {
        case let .uint(v): return v
        case let .int(v): return v >= 0 ? UInt64(v) : nil
        default: return nil
        }
    }

    public var int64: Int64? {
        switch self {
        case let .int(v): return v
        case let .uint(v): return v <= UInt64(Int64.max) ? Int64(v) : nil
        default: return nil
        }
    }

    // MARK: writing

    public var description: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(v): out += String(v)
        case let .uint(v): out += String(v)
        case let .double(v): out += v.isFinite ? String(v) : "null"
        case let .string(s): JSON.writeString(s, to: &out)
        case let .array(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out += "," }
                JSON.writeString(k, to: &out)
                out += ":"
                v.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    // MARK: parsing

    public static let maximumDepth = 64

    public static func parse(_ bytes: [UInt8]) throws(SolanaError) -> JSON {
        var p = Parser(bytes: bytes)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.pos == bytes.count else { throw .malformed("JSON: trailing bytes at \(p.pos)") }
        return v
    }

    struct Parser {
        let bytes: [UInt8]
        var pos = 0

        mutating func skipSpace() {
            while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
        }

        mutating func expect(_ literal: String) throws(SolanaError) {
            for b in literal.utf8 {
                guard pos < bytes.count, bytes[pos] == b else { throw .malformed("JSON: expected \(literal) at \(pos)") }
                pos += 1
            }
        }

        mutating func value(depth: Int) throws(SolanaError) -> JSON {
            guard depth < JSON.maximumDepth else { throw .malformed("JSON nested too deeply") }
            guard pos < bytes.count else { throw .truncated("JSON value") }
            switch bytes[pos] {
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["):
                pos += 1
                var items: [JSON] = []
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard pos < bytes.count else { throw .truncated("JSON array") }
                    if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                    throw .malformed("JSON: expected , or ] at \(pos)")
                }
            case UInt8(ascii: "{"):
                pos += 1
                var members: [(String, JSON)] = []
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw .malformed("JSON: expected a key at \(pos)") }
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    skipSpace()
                    members.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    guard pos < bytes.count else { throw .truncated("JSON object") }
                    if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
                    throw .malformed("JSON: expected , or } at \(pos)")
                }
            default:
                return try number()
            }
        }

        mutating func number() throws(SolanaError) -> JSON {
            let start = pos
            var isInteger = true
            while pos < bytes.count {
                let c = bytes[pos]
                if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") { pos += 1; continue }
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") {
                    isInteger = false; pos += 1; continue
                }
                break
            }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            guard !text.isEmpty else { throw .malformed("JSON: unexpected byte at \(start)") }
            if isInteger {
                if let v = Int64(text) { return .int(v) }
                if let v = UInt64(text) { return .uint(v) }
            }
            guard let d = Double(text) else { throw .malformed("JSON: bad number \(text)") }
            return .double(d)
        }

        mutating func hex4() throws(SolanaError) -> UInt32 {
            guard pos + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[pos..<pos + 4], as: UTF8.self), radix: 16) else {
                throw .malformed("JSON: bad \\u escape at \(pos)")
            }
            pos += 4
            return v
        }

        mutating func string() throws(SolanaError) -> String {
            pos += 1 // opening quote
            var scalars = String.UnicodeScalarView()
            var run = [UInt8]()
            func flush() {
                if !run.isEmpty { scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars); run.removeAll() }
            }
            while true {
                guard pos < bytes.count else { throw .truncated("JSON string") }
                let c = bytes[pos]
                pos += 1
                if c == UInt8(ascii: "\"") { flush(); return String(scalars) }
                if c != UInt8(ascii: "\\") { run.append(c); continue }
                flush()
                guard pos < bytes.count else { throw .truncated("JSON escape") }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if v >= 0xD800 && v < 0xDC00, pos + 6 <= bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                        pos += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            // A high surrogate without its low half is no character: the
                            // replacement character for it, then the next escape as itself.
                            scalars.append("\u{FFFD}")
                            v = low
                        }
                    }
                    scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                default: throw .malformed("JSON: bad escape at \(pos - 1)")
                }
            }
        }
    }
}
