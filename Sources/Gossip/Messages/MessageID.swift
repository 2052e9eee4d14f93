import ContentStore
import Transport

/// A message's id: SHA-256 of its signed bytes. Four words, so it hashes and
/// compares as fast as the seen-cache needs.
public struct MessageID: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public init(bytes: [UInt8]) throws(WireError) {
        guard bytes.count == Self.byteCount else { throw .invalid("a message id is 32 bytes") }
        func word(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            for j in 0..<8 { v = v << 8 | UInt64(bytes[i * 8 + j]) }
            return v
        }
        w0 = word(0); w1 = word(1); w2 = word(2); w3 = word(3)
    }

    /// The id of these signed bytes.
    static func of(_ signed: ArraySlice<UInt8>) -> MessageID {
        let digest = signed.withUnsafeBytes { ChunkHash.sha256($0) }
        return (try? MessageID(bytes: digest))!  // SHA-256 is always 32 bytes
    }

    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for w in [w0, w1, w2, w3] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((w >> UInt64(shift)) & 0xff)) }
        }
        return out
    }

    public var description: String {
        String(bytes.prefix(8).map { String(format2($0)) }.joined())
    }

    private func format2(_ b: UInt8) -> String {
        let hex = Array("0123456789abcdef")
        return String([hex[Int(b >> 4)], hex[Int(b & 15)]])
    }
}
