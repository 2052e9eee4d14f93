/// Reads what `WireWriter` writes, checking every length against the bytes
/// left and against a caller-given cap before anything is allocated.
struct WireReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    private mutating func need(_ n: Int, _ field: String) throws(WireError) {
        if n < 0 || remaining < n { throw .truncated(field: field) }
    }

    mutating func u8(_ field: String) throws(WireError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: String) throws(WireError) -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32(_ field: String) throws(WireError) -> UInt32 {
        try need(4, field)
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return v
    }

    mutating func u64(_ field: String) throws(WireError) -> UInt64 {
        try need(8, field)
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return v
    }

    mutating func fixed(_ count: Int, _ field: String) throws(WireError) -> [UInt8] {
        try need(count, field)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A u16-prefixed UTF-8 string of at most `limit` bytes.
    mutating func string(_ field: String, limit: Int) throws(WireError) -> String {
        let n = Int(try u16(field))
        if n > limit { throw .oversize(field: field, length: n, limit: limit) }
        try need(n, field)
        let slice = bytes[offset..<offset + n]
        offset += n
        guard let s = String(validating: slice, as: UTF8.self) else { throw .invalid("\(field) is not UTF-8") }
        return s
    }

    /// A u32-prefixed byte string of at most `limit` bytes.
    mutating func blob(_ field: String, limit: Int) throws(WireError) -> [UInt8] {
        let n = Int(try u32(field))
        if n > limit { throw .oversize(field: field, length: n, limit: limit) }
        try need(n, field)
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    /// A u16 item count of at most `limit` items.
    mutating func count(_ field: String, limit: Int) throws(WireError) -> Int {
        let n = Int(try u16(field))
        if n > limit { throw .oversize(field: field, length: n, limit: limit) }
        return n
    }

    func finish() throws(WireError) {
        if remaining != 0 { throw .trailingBytes(remaining) }
    }
}
