/// Little-endian byte writing and bounds-checked reading, plus Solana's
/// compact-u16 ("shortvec") length prefix: the one codec for what Solana
/// reads (transactions, instruction data, account data). Frames between
/// nodes are big-endian (Transport's WireWriter).
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    public mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    public mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    public mutating func append<Bytes: Collection>(_ b: Bytes) where Bytes.Element == UInt8 { bytes.append(contentsOf: b) }

    /// compact-u16: 7 bits per byte, low bits first, high bit set when more follow.
    public mutating func compactU16(_ value: Int) {
        precondition(value >= 0 && value <= 0xFFFF, "compact-u16 holds 0...65535")
        var v = value
        while true {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v == 0 { bytes.append(byte); return }
            byte |= 0x80
            bytes.append(byte)
        }
    }
}

/// Reading that never traps: every read checks the remaining length first.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var remaining: Int { bytes.count - offset }

    public mutating func u8() throws(SolanaError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated("byte at \(offset)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u16() throws(SolanaError) -> UInt16 {
        let b = try take(2)
        return UInt16(b[0]) | UInt16(b[1]) << 8
    }

    public mutating func u64() throws(SolanaError) -> UInt64 {
        let b = try take(8)
        var v: UInt64 = 0
        for i in (0..<8).reversed() { v = v << 8 | UInt64(b[i]) }
        return v
    }

    public mutating func i64() throws(SolanaError) -> Int64 { Int64(bitPattern: try u64()) }

    public mutating func take(_ n: Int) throws(SolanaError) -> [UInt8] {
        guard n >= 0, remaining >= n else { throw .truncated("\(n) bytes at \(offset), \(remaining) left") }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    /// compact-u16, rejecting non-minimal and over-long encodings as the runtime does.
    public mutating func compactU16() throws(SolanaError) -> Int {
        var value = 0
        for i in 0..<3 {
            let byte = try u8()
            if i == 2 && byte > 0x03 { throw .malformed("compact-u16 over 65535") }
            value |= Int(byte & 0x7F) << (7 * i)
            if byte & 0x80 == 0 {
                if i > 0 && byte == 0 { throw .malformed("non-minimal compact-u16") }
                return value
            }
        }
        throw .malformed("compact-u16 longer than 3 bytes")
    }
}
