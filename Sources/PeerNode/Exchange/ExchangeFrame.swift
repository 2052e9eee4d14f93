import ContentStore

/// The chunk-exchange wire format (docs/chunk-exchange.md). Every message is
/// one ZeroMQ frame: version, kind, a request id, then the kind's body.
/// Integers are big-endian; lengths are checked against limits before
/// anything is allocated.
public enum ExchangeFrame: Equatable, Sendable {
    public static let version: UInt8 = 1
    public static let maxCIDBytes = 64
    public static let maxListItems = 1024
    /// A chunk is at most 1 MiB (StoreConfig.maxChunkSize).
    public static let maxBlockBytes = StoreConfig.maxChunkSize

    /// Asks for one chunk. `hops`: how many more times a peer without it may
    /// forward the request (a relay never asks it back of the requester,
    /// whom it knows by the CURVE key of the link).
    case get(id: UInt64, cid: CID, hops: UInt8)
    /// The chunk's bytes; the receiver verifies them against the CID.
    case block(id: UInt64, cid: CID, bytes: ArraySlice<UInt8>)
    /// The peer does not have the chunk (and could not fetch it).
    case dontHave(id: UInt64, cid: CID)
    /// Which of these chunks do you hold? Answered by `have` with the same id.
    case wantHave(id: UInt64, cids: [CID])
    /// The chunks the sender holds: an answer to `wantHave`, or (id 0) an
    /// unsolicited announcement of what a relay just cached.
    case have(id: UInt64, cids: [CID])
    /// Which streams do you know? Answered by `streams` with the same id.
    case listStreams(id: UInt64)
    /// The CIDs of the newest signed manifest of each stream the sender
    /// knows. Manifests are signed by their creators, so any peer may pass
    /// them on: a node that joins late learns streams announced before it came.
    case streams(id: UInt64, manifests: [CID])

    enum Kind: UInt8 {
        case get = 1, block = 2, dontHave = 3, wantHave = 4, have = 5, listStreams = 6, streams = 7
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.u8(Self.version)
        switch self {
        case .get(let id, let cid, let hops):
            w.u8(Kind.get.rawValue); w.u64(id); w.cid(cid); w.u8(hops)
        case .block(let id, let cid, let bytes):
            w.reserve(bytes.count + 64)
            w.u8(Kind.block.rawValue); w.u64(id); w.cid(cid); w.u32(UInt32(bytes.count)); w.bytes(bytes)
        case .dontHave(let id, let cid):
            w.u8(Kind.dontHave.rawValue); w.u64(id); w.cid(cid)
        case .wantHave(let id, let cids):
            w.u8(Kind.wantHave.rawValue); w.u64(id); w.u16(UInt16(cids.count)); for c in cids { w.cid(c) }
        case .have(let id, let cids):
            w.u8(Kind.have.rawValue); w.u64(id); w.u16(UInt16(cids.count)); for c in cids { w.cid(c) }
        case .listStreams(let id):
            w.u8(Kind.listStreams.rawValue); w.u64(id)
        case .streams(let id, let cids):
            w.u8(Kind.streams.rawValue); w.u64(id); w.u16(UInt16(cids.count)); for c in cids { w.cid(c) }
        }
        return w.out
    }

    /// A BLOCK frame built straight from stored bytes (one copy, into the frame).
    public static func blockFrame(id: UInt64, cid: CID, bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var w = ByteWriter()
        w.reserve(bytes.count + 64)
        w.u8(version); w.u8(Kind.block.rawValue); w.u64(id); w.cid(cid); w.u32(UInt32(bytes.count))
        w.out.append(contentsOf: bytes)
        return w.out
    }

    public static func decode(_ bytes: [UInt8]) throws(ExchangeFrameError) -> ExchangeFrame {
        var r = ByteReader(bytes)
        let version = try r.u8()
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let raw = try r.u8()
        guard let kind = Kind(rawValue: raw) else { throw .unknownKind(raw) }
        let id = try r.u64()
        let frame: ExchangeFrame
        switch kind {
        case .get:
            let cid = try r.cid()
            frame = .get(id: id, cid: cid, hops: try r.u8())
        case .block:
            let cid = try r.cid()
            let count = Int(try r.u32())
            guard count <= maxBlockBytes else { throw .oversize("block of \(count) bytes; the limit is \(maxBlockBytes)") }
            frame = .block(id: id, cid: cid, bytes: try r.take(count))
        case .dontHave:
            frame = .dontHave(id: id, cid: try r.cid())
        case .listStreams:
            frame = .listStreams(id: id)
        case .wantHave, .have, .streams:
            let count = Int(try r.u16())
            guard count <= maxListItems else { throw .oversize("list of \(count) CIDs; the limit is \(maxListItems)") }
            var cids: [CID] = []
            cids.reserveCapacity(count)
            for _ in 0..<count { cids.append(try r.cid()) }
            switch kind {
            case .have: frame = .have(id: id, cids: cids)
            case .streams: frame = .streams(id: id, manifests: cids)
            default: frame = .wantHave(id: id, cids: cids)
            }
        }
        guard r.atEnd else { throw .invalid("\(r.remaining) trailing bytes") }
        return frame
    }
}

public enum ExchangeFrameError: Error, Equatable, CustomStringConvertible {
    case truncated
    case unsupportedVersion(UInt8)
    case unknownKind(UInt8)
    case oversize(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .truncated: return "truncated exchange frame"
        case .unsupportedVersion(let v): return "exchange frame version \(v) is not supported (this node speaks 1)"
        case .unknownKind(let k): return "unknown exchange frame kind \(k)"
        case .oversize(let why): return "oversize exchange frame: \(why)"
        case .invalid(let why): return "invalid exchange frame: \(why)"
        }
    }
}

struct ByteWriter {
    var out: [UInt8] = []
    mutating func reserve(_ n: Int) { out.reserveCapacity(n) }
    mutating func u8(_ v: UInt8) { out.append(v) }
    mutating func u16(_ v: UInt16) { out.append(UInt8(v >> 8)); out.append(UInt8(v & 0xff)) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8((v >> UInt32(s)) & 0xff)) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8((v >> UInt64(s)) & 0xff)) } }
    mutating func bytes<C: Collection>(_ b: C) where C.Element == UInt8 { out.append(contentsOf: b) }
    mutating func cid(_ c: CID) { u8(UInt8(c.bytes.count)); out.append(contentsOf: c.bytes) }
}

struct ByteReader {
    let data: [UInt8]
    var offset = 0
    init(_ data: [UInt8]) { self.data = data }
    var remaining: Int { data.count - offset }
    var atEnd: Bool { offset == data.count }

    mutating func take(_ n: Int) throws(ExchangeFrameError) -> ArraySlice<UInt8> {
        guard n >= 0, remaining >= n else { throw .truncated }
        defer { offset += n }
        return data[offset..<offset + n]
    }
    mutating func u8() throws(ExchangeFrameError) -> UInt8 { try take(1).first! }
    mutating func u16() throws(ExchangeFrameError) -> UInt16 {
        let b = try take(2); return UInt16(b[b.startIndex]) << 8 | UInt16(b[b.startIndex + 1])
    }
    mutating func u32() throws(ExchangeFrameError) -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func u64() throws(ExchangeFrameError) -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
    mutating func cid() throws(ExchangeFrameError) -> CID {
        let n = Int(try u8())
        guard n <= ExchangeFrame.maxCIDBytes else { throw .oversize("CID of \(n) bytes") }
        guard let c = try? CID(bytes: Array(try take(n))) else { throw .invalid("not a CID") }
        return c
    }
}
