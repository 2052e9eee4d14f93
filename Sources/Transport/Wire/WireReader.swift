/// Reads what `WireWriter` writes, checking every length against the bytes
/// left and against a caller-given cap before anything is allocated.
public struct WireReader {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }
    public var atEnd: Bool { offset == bytes.count }

    private mutating func need(_ n: Int, _ field: String) throws(WireError) {
        if n < 0 || remaining < n { throw .truncated(field: field) }
    }

    public mutating func u8(_ field: String) throws(WireError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u16(_ field: String) throws(WireError) -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func u32(_ field: String) throws(WireError) -> UInt32 { try bigEndian(field) }

    public mutating func u64(_ field: String) throws(WireError) -> UInt64 { try bigEndian(field) }

    private mutating func bigEndian<T: FixedWidthInteger & UnsignedInteger>(_ field: String) throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        try need(size, field)
        var v: T = 0
        for i in 0..<size { v = v << 8 | T(bytes[offset + i]) }
        offset += size
        return v
    }

    public mutating func fixed(_ count: Int, _ field: String) throws(WireError) -> [UInt8] {
        try need(count, field)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// `count` bytes without a copy, as a slice of the input (chunk bodies).
    public mutating func slice(_ count: Int, _ field: String) throws(WireError) -> ArraySlice<UInt8> {
        try need(count, field)
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// A u16-prefixed UTF-8 string of at most `limit` bytes.
    public mutating func string(_ field: String, limit: Int) throws(WireError) -> String {
        let n = Int(try u16(field))
        if n > limit { throw .oversize(field: field, length: n, limit: limit) }
        try need(n, field)
        let slice = bytes[offset..<offset + n]
        offset += n
        guard let s = String(validating: slice, as: UTF8.self) else { throw .invalid("\(field) is not UTF-8") }
        return s
    }

    /// A u32-prefixed byte string of at most `limit` bytes.
    public mutating func blob(_ field: String, limit: Int) throws(WireError) -> [UInt8] {
        let n = Int(try u32(field))
        if n > limit { throw .oversize(field: field, length: n, limit: limit) }
        try need(n, field)
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    /// A u16-prefixed byte string of at most `limit` bytes.
    public mutating func shortBlob(_ field: String, limit: Int) throws(WireError) -> [UInt8] {
        let n = Int(try u16(field))
        if n > limit { throw .oversize(field: field, length: n, limit: limit) }
        return Array(try slice(n, field))
    }

    /// A u16 item count of at most `limit` items.
    public mutating func count(_ field: String, limit: Int) throws(WireError) -> Int {
        let n = Int(try u16(field))
        if n > limit { throw .oversize(field: field, length: n, limit: limit) }
        return n
    }

    public func finish() throws(WireError) {
        if remaining != 0 { throw .trailingBytes(remaining) }
    }
}
