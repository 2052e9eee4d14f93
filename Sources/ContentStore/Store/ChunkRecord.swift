/// The per-chunk metadata row: size, how many pinned roots hold the chunk,
/// and when it was last read or written (for LRU eviction).
struct ChunkRecord: Equatable {
    static let encodedSize = 16

    var size: UInt32
    var pins: UInt32
    var lastAccess: UInt64

    var encoded: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.encodedSize)
        withUnsafeBytes(of: size.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: pins.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: lastAccess.littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    init(size: UInt32, pins: UInt32, lastAccess: UInt64) {
        self.size = size
        self.pins = pins
        self.lastAccess = lastAccess
    }

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == Self.encodedSize else { return nil }
        size = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        pins = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        lastAccess = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// The key of this chunk in the LRU index: access time big-endian, so
    /// LMDB's key order is oldest first, then the CID.
    static func lruKey(access: UInt64, cid: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: access.bigEndian) { Array($0) } + cid
    }
}

extension Array where Element == UInt8 {
    init(uint64 value: UInt64) { self = Swift.withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    var uint64: UInt64? {
        guard count == 8 else { return nil }
        return withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }
}
