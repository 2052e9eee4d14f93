/// What a payment is for, so a creator can tell chunk income from per-second
/// income and tips per stream (docs/vouchers.md, "What a payment is for").
///
/// It travels next to a voucher in exchange frames, in a compact binary form:
///
/// | size | field |
/// |---|---|
/// | 1 | kind: 0 chunks, 1 seconds watched, 2 tip |
/// | 1 | (seconds and tip only) length of the stream id in bytes, 1...128 |
/// | n | (seconds and tip only) the stream id, UTF-8 |
///
/// Decoding checks the length before reading and throws on anything else.
public enum PaymentPurpose: Sendable, Hashable, Codable {
    /// Chunks served (by whoever relays them).
    case chunks
    /// Seconds of a stream watched, paid to its creator.
    case seconds(stream: String)
    /// A tip to the creator of a stream.
    case tip(stream: String)

    /// Longest stream id, bytes of UTF-8.
    public static let maxStreamBytes = 128
    /// Longest encoding: kind, length, stream id.
    public static let maxEncodedSize = 2 + maxStreamBytes

    enum Kind: UInt8 { case chunks = 0, seconds = 1, tip = 2 }

    var kind: Kind {
        switch self {
        case .chunks: return .chunks
        case .seconds: return .seconds
        case .tip: return .tip
        }
    }

    /// The stream paid for (per second or by a tip); nil for chunks.
    public var stream: String? {
        switch self {
        case .chunks: return nil
        case .seconds(let stream), .tip(let stream): return stream
        }
    }

    init(kind: Kind, stream: String) {
        switch kind {
        case .chunks: self = .chunks
        case .seconds: self = .seconds(stream: stream)
        case .tip: self = .tip(stream: stream)
        }
    }

    /// Throws when the stream id is empty or longer than `maxStreamBytes`
    /// (such a purpose could not be encoded); returns self otherwise.
    public func validated() throws(VoucherError) -> PaymentPurpose {
        if let stream {
            let count = stream.utf8.count
            guard count > 0 else { throw .malformedPurpose("empty stream id") }
            guard count <= Self.maxStreamBytes else { throw .streamIdTooLong(bytes: count, max: Self.maxStreamBytes) }
        }
        return self
    }

    /// The compact form above. A purpose that fails `validated()` is never
    /// accepted by the voucher book or the payment services; encoding one
    /// anyway gives bytes that do not decode.
    public func encoded() -> [UInt8] {
        guard let stream else { return [kind.rawValue] }
        let utf8 = Array(stream.utf8)
        return [kind.rawValue, UInt8(clamping: utf8.count)] + utf8
    }

    /// Decodes exactly one purpose filling all of `bytes`.
    public init(decoding bytes: ArraySlice<UInt8>) throws(VoucherError) {
        let (purpose, used) = try Self.decodePrefix(bytes)
        guard used == bytes.count else { throw .malformedPurpose("\(bytes.count - used) bytes after the purpose") }
        self = purpose
    }

    /// Decodes the purpose at the start of `bytes`; returns it and how many
    /// bytes it took (for frames that carry more after it).
    public static func decodePrefix(_ bytes: ArraySlice<UInt8>) throws(VoucherError) -> (PaymentPurpose, Int) {
        guard let first = bytes.first else { throw .malformedPurpose("no bytes (truncated)") }
        guard let kind = Kind(rawValue: first) else { throw .unknownPurposeKind(first) }
        if kind == .chunks { return (.chunks, 1) }
        guard bytes.count >= 2 else { throw .malformedPurpose("no stream id length (truncated)") }
        let length = Int(bytes[bytes.startIndex + 1])
        guard length > 0 else { throw .malformedPurpose("empty stream id") }
        guard length <= maxStreamBytes else { throw .streamIdTooLong(bytes: length, max: maxStreamBytes) }
        guard bytes.count >= 2 + length else {
            throw .malformedPurpose("stream id of \(length) bytes, only \(bytes.count - 2) present (truncated)")
        }
        let start = bytes.startIndex + 2
        guard let stream = String(validating: bytes[start..<start + length], as: UTF8.self) else {
            throw .malformedPurpose("stream id is not UTF-8")
        }
        return (PaymentPurpose(kind: kind, stream: stream), 2 + length)
    }

    // MARK: JSON: {"kind": "chunks"} or {"kind": "seconds"|"tip", "stream": "..."}

    private enum CodingKeys: String, CodingKey { case kind, stream }

    private static let kindNames: [(Kind, String)] = [(.chunks, "chunks"), (.seconds, "seconds"), (.tip, "tip")]

    /// The kind's name in JSON and in reports: "chunks", "seconds" or "tip".
    public var kindName: String { Self.kindNames.first { $0.0 == kind }?.1 ?? "chunks" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .kind)
        guard let kind = Self.kindNames.first(where: { $0.1 == name })?.0 else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c,
                                                   debugDescription: "unknown payment kind \(name); expected chunks, seconds or tip")
        }
        let purpose = PaymentPurpose(kind: kind, stream: kind == .chunks ? "" : try c.decode(String.self, forKey: .stream))
        do { self = try purpose.validated() } catch {
            throw DecodingError.dataCorruptedError(forKey: .stream, in: c, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kindName, forKey: .kind)
        try c.encodeIfPresent(stream, forKey: .stream)
    }
}
