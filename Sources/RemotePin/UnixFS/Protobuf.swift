import ContentStore

/// The few protocol-buffer encodings dag-pb and UnixFS need: varints and
/// length-delimited fields, written in field-number order as the Go
/// implementations do (so the bytes, and therefore the CIDs, match kubo).
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    init() {}

    mutating func varint(_ value: UInt64) {
        bytes.append(contentsOf: Varint.encode(value))
    }

    /// A varint field (wire type 0).
    mutating func field(_ number: UInt64, varint value: UInt64) {
        varint(number << 3)
        varint(value)
    }

    /// A length-delimited field (wire type 2).
    mutating func field<Bytes: Collection>(_ number: UInt64, bytes value: Bytes) where Bytes.Element == UInt8 {
        varint(number << 3 | 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }
}

/// Reads the fields of one protobuf message; nil on malformed input.
struct ProtoReader {
    enum Value {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
    }

    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { offset >= bytes.count }

    private mutating func readVarint() -> UInt64? {
        Varint.decode(bytes, at: &offset)
    }

    /// The next (field number, value), nil at the end; throws-free: a
    /// malformed message ends the read with `malformed` set.
    mutating func next() -> (UInt64, Value)? {
        guard !atEnd, let key = readVarint() else { return nil }
        switch key & 7 {
        case 0:
            guard let v = readVarint() else { malformed = true; return nil }
            return (key >> 3, .varint(v))
        case 2:
            guard let n = readVarint(), n <= UInt64(bytes.count - offset) else { malformed = true; return nil }
            let start = offset
            offset += Int(n)
            return (key >> 3, .bytes(bytes[start..<offset]))
        default:
            malformed = true
            return nil
        }
    }

    private(set) var malformed = false
}
