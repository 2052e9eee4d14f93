/// Big-endian, length-prefixed field encoding shared by every frame that
/// travels over a link: gossip frames and payloads (docs/gossip.md,
/// "Primitive fields") and chunk-exchange frames (docs/chunk-exchange.md).
public struct WireWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    public mutating func reserve(_ count: Int) { bytes.reserveCapacity(count) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff)) }
    public mutating func u32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((v >> UInt32(shift)) & 0xff)) }
    }
    public mutating func u64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((v >> UInt64(shift)) & 0xff)) }
    }
    /// Raw bytes of a fixed, known size (keys, signatures, ids).
    public mutating func fixed<C: Collection>(_ v: C) where C.Element == UInt8 { bytes.append(contentsOf: v) }
    /// u16 length then bytes (short strings).
    public mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        precondition(utf8.count <= Int(UInt16.max), "short strings are at most 65535 bytes")
        u16(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }
    /// u32 length then bytes.
    public mutating func blob<C: Collection>(_ v: C) where C.Element == UInt8 {
        u32(UInt32(v.count))
        bytes.append(contentsOf: v)
    }
    /// u16 length then bytes, cut at 65535 (callers keep within their field's limit).
    public mutating func shortBlob(_ v: [UInt8]) {
        u16(UInt16(clamping: v.count))
        bytes.append(contentsOf: v.prefix(Int(UInt16.max)))
    }
}
