import ContentStore
import Identity
import PayChannel
import Transport

/// The chunk-exchange wire format (docs/chunk-exchange.md). Every message is
/// one ZeroMQ frame: version, kind, a request id, then the kind's body.
/// Integers are big-endian; lengths are checked against limits before
/// anything is allocated.
public enum ExchangeFrame: Equatable, Sendable {
    /// 2: GET carries an optional voucher; payment frames (8–10).
    /// 3: WANT_HAVE carries the hops a GET would; HAVE says whether the
    /// sender would forward what it lacks (content routing); FIND_PEER/PEER;
    /// a voucher names its channel's opening (152 bytes, was 144).
    public static let version: UInt8 = 3
    public static let maxCIDBytes = 64
    public static let maxListItems = 1024
    /// A chunk is at most 1 MiB (StoreConfig.maxChunkSize).
    public static let maxBlockBytes = StoreConfig.maxChunkSize
    /// Reasons and errors are short human-readable text.
    public static let maxTextBytes = 256
    /// A payment's purpose (PaymentPurpose's encoding: a kind and a stream id).
    public static let maxPurposeBytes = 200
    /// A payment's note: a tip's amount and chat-text hash (TipNote), a segment key request
    /// (SegmentKeyRequest, 24 bytes, with a seconds purpose), or nothing.
    public static let maxNoteBytes = 64
    /// A receipt is one Ed25519 signature (a tip), a segment key (16 bytes), or nothing.
    public static let maxReceiptBytes = 64
    /// A signed peer record (its own limits keep it well below this).
    public static let maxRecordBytes = 4096

    /// Asks for one chunk. `hops`: how many more times a peer without it may
    /// forward the request (a relay never asks it back of the requester,
    /// whom it knows by the CURVE key of the link).
    /// `voucher`: a payment riding with the request (the payer's newest
    /// cumulative voucher to this peer), so paying costs no extra round trip.
    case get(id: UInt64, cid: CID, hops: UInt8, voucher: SignedVoucher? = nil)
    /// The chunk's bytes; the receiver verifies them against the CID.
    case block(id: UInt64, cid: CID, bytes: ArraySlice<UInt8>)
    /// The peer does not have the chunk (and could not fetch it).
    case dontHave(id: UInt64, cid: CID)
    /// Which of these chunks do you hold? Answered by `have` with the same
    /// id. `hops`: what a GET that follows would carry, so a relay can say
    /// whether it would forward it.
    case wantHave(id: UInt64, cids: [CID], hops: UInt8 = 0)
    /// The chunks the sender holds: an answer to `wantHave`, or (id 0) an
    /// unsolicited announcement of what a node just cached. `forwards`: the
    /// sender would fetch the others for us (a relay with peers to ask and
    /// hops left), which is a maybe, where holding is a yes.
    case have(id: UInt64, cids: [CID], forwards: Bool = false)
    /// Which streams do you know? Answered by `streams` with the same id.
    case listStreams(id: UInt64)
    /// The CIDs of the newest signed manifest of each stream the sender
    /// knows. Manifests are signed by their creators, so any peer may pass
    /// them on: a node that joins late learns streams announced before it came.
    case streams(id: UInt64, manifests: [CID])
    /// The answer to a GET from a peer whose debt is past the disconnect
    /// threshold (or that cannot be identified to charge): pay first.
    case paymentRequired(id: UInt64, cid: CID, owed: UInt64, reason: String)
    /// A payment on its own: per-second pay to a creator, a tip, or a
    /// voucher that found no GET to ride with. Answered by `paid`.
    case pay(id: UInt64, voucher: SignedVoucher, purpose: [UInt8], note: [UInt8])
    /// What the payee made of a `pay`: the new lamports it accepted, a
    /// receipt (the payee's signature, for tips), or why it refused.
    case paid(id: UInt64, accepted: UInt64, receipt: [UInt8], error: String)
    /// The first frame on every link a node dials: its address. The
    /// receiver believes it only when the link's proven CURVE key is the one
    /// derived from that address; it then knows whom to charge.
    case hello(id: UInt64, address: Address)
    /// Who is `address`? Answered by `peer` with the same id: how a node
    /// reaches a creator it pays but has no gossip record of yet (records
    /// are signed, so any peer may pass one on).
    case findPeer(id: UInt64, address: Address)
    /// The signed peer record asked for, or empty when the sender lacks it.
    case peer(id: UInt64, record: [UInt8])

    enum Kind: UInt8 {
        case get = 1, block = 2, dontHave = 3, wantHave = 4, have = 5, listStreams = 6, streams = 7
        case paymentRequired = 8, pay = 9, paid = 10, hello = 11, findPeer = 12, peer = 13
    }

    public func encoded() -> [UInt8] {
        var w = WireWriter()
        w.u8(Self.version)
        switch self {
        case .get(let id, let cid, let hops, let voucher):
            w.u8(Kind.get.rawValue); w.u64(id); w.cid(cid); w.u8(hops)
            if let voucher { w.u8(1); w.fixed(voucher.wire) } else { w.u8(0) }
        case .block(let id, let cid, let bytes):
            w.reserve(bytes.count + 64)
            w.u8(Kind.block.rawValue); w.u64(id); w.cid(cid); w.u32(UInt32(bytes.count)); w.fixed(bytes)
        case .dontHave(let id, let cid):
            w.u8(Kind.dontHave.rawValue); w.u64(id); w.cid(cid)
        case .wantHave(let id, let cids, let hops):
            w.u8(Kind.wantHave.rawValue); w.u64(id); w.u16(UInt16(cids.count)); for c in cids { w.cid(c) }
            w.u8(hops)
        case .have(let id, let cids, let forwards):
            w.u8(Kind.have.rawValue); w.u64(id); w.u16(UInt16(cids.count)); for c in cids { w.cid(c) }
            w.u8(forwards ? 1 : 0)
        case .listStreams(let id):
            w.u8(Kind.listStreams.rawValue); w.u64(id)
        case .streams(let id, let cids):
            w.u8(Kind.streams.rawValue); w.u64(id); w.u16(UInt16(cids.count)); for c in cids { w.cid(c) }
        case .paymentRequired(let id, let cid, let owed, let reason):
            w.u8(Kind.paymentRequired.rawValue); w.u64(id); w.cid(cid); w.u64(owed); w.text(reason)
        case .pay(let id, let voucher, let purpose, let note):
            w.u8(Kind.pay.rawValue); w.u64(id); w.fixed(voucher.wire); w.shortBlob(purpose); w.shortBlob(note)
        case .paid(let id, let accepted, let receipt, let error):
            w.u8(Kind.paid.rawValue); w.u64(id); w.u64(accepted); w.shortBlob(receipt); w.text(error)
        case .hello(let id, let address):
            w.u8(Kind.hello.rawValue); w.u64(id); w.fixed(address.bytes)
        case .findPeer(let id, let address):
            w.u8(Kind.findPeer.rawValue); w.u64(id); w.fixed(address.bytes)
        case .peer(let id, let record):
            w.u8(Kind.peer.rawValue); w.u64(id); w.shortBlob(record)
        }
        return w.bytes
    }

    /// A BLOCK frame built straight from stored bytes (one copy, into the frame).
    public static func blockFrame(id: UInt64, cid: CID, bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var w = WireWriter(capacity: bytes.count + 64)
        w.u8(version); w.u8(Kind.block.rawValue); w.u64(id); w.cid(cid); w.u32(UInt32(bytes.count))
        w.fixed(bytes)
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(ExchangeFrameError) -> ExchangeFrame {
        do {
            return try decodeFields(bytes)
        } catch let error as ExchangeFrameError {
            throw error
        } catch let error as WireError {
            throw ExchangeFrameError(error)
        } catch {
            throw .invalid("\(error)")
        }
    }

    /// Throws `ExchangeFrameError` for the exchange's own rules and the
    /// codec's `WireError` for the rest; `decode` makes both the former.
    private static func decodeFields(_ bytes: [UInt8]) throws -> ExchangeFrame {
        var r = WireReader(bytes)
        let version = try r.u8("version")
        guard version == Self.version else { throw ExchangeFrameError.unsupportedVersion(version) }
        let raw = try r.u8("kind")
        guard let kind = Kind(rawValue: raw) else { throw ExchangeFrameError.unknownKind(raw) }
        let id = try r.u64("request id")
        let frame: ExchangeFrame
        switch kind {
        case .get:
            let cid = try r.cid()
            let hops = try r.u8("hops")
            switch try r.u8("voucher flag") {
            case 0: frame = .get(id: id, cid: cid, hops: hops, voucher: nil)
            case 1: frame = .get(id: id, cid: cid, hops: hops, voucher: try r.voucher())
            case let flag: throw ExchangeFrameError.invalid("voucher flag \(flag)")
            }
        case .block:
            let cid = try r.cid()
            let count = Int(try r.u32("block length"))
            guard count <= maxBlockBytes else { throw ExchangeFrameError.oversize("block of \(count) bytes; the limit is \(maxBlockBytes)") }
            frame = .block(id: id, cid: cid, bytes: try r.slice(count, "block"))
        case .dontHave:
            frame = .dontHave(id: id, cid: try r.cid())
        case .listStreams:
            frame = .listStreams(id: id)
        case .paymentRequired:
            let cid = try r.cid()
            frame = .paymentRequired(id: id, cid: cid, owed: try r.u64("owed"), reason: try r.text())
        case .pay:
            let voucher = try r.voucher()
            let purpose = try r.shortBlob("purpose", limit: maxPurposeBytes)
            frame = .pay(id: id, voucher: voucher, purpose: purpose, note: try r.shortBlob("note", limit: maxNoteBytes))
        case .paid:
            let accepted = try r.u64("accepted")
            let receipt = try r.shortBlob("receipt", limit: maxReceiptBytes)
            frame = .paid(id: id, accepted: accepted, receipt: receipt, error: try r.text())
        case .hello, .findPeer:
            let bytes = try r.fixed(Address.byteCount, "address")
            guard let address = try? Address(bytes: bytes) else { throw ExchangeFrameError.invalid("address") }
            frame = kind == .hello ? .hello(id: id, address: address) : .findPeer(id: id, address: address)
        case .peer:
            frame = .peer(id: id, record: try r.shortBlob("record", limit: maxRecordBytes))
        case .wantHave, .have, .streams:
            let count = Int(try r.u16("list length"))
            guard count <= maxListItems else { throw ExchangeFrameError.oversize("list of \(count) CIDs; the limit is \(maxListItems)") }
            var cids: [CID] = []
            cids.reserveCapacity(count)
            for _ in 0..<count { cids.append(try r.cid()) }
            switch kind {
            case .have:
                switch try r.u8("forwards flag") {
                case 0: frame = .have(id: id, cids: cids, forwards: false)
                case 1: frame = .have(id: id, cids: cids, forwards: true)
                case let flag: throw ExchangeFrameError.invalid("forwards flag \(flag)")
                }
            case .streams: frame = .streams(id: id, manifests: cids)
            default: frame = .wantHave(id: id, cids: cids, hops: try r.u8("hops"))
            }
        }
        guard r.atEnd else { throw ExchangeFrameError.invalid("\(r.remaining) trailing bytes") }
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
        case .unsupportedVersion(let v):
            return "exchange frame version \(v) is not supported (this node speaks \(ExchangeFrame.version))"
        case .unknownKind(let k): return "unknown exchange frame kind \(k)"
        case .oversize(let why): return "oversize exchange frame: \(why)"
        case .invalid(let why): return "invalid exchange frame: \(why)"
        }
    }
}

/// The exchange's own fields on the shared big-endian codec.
extension WireWriter {
    mutating func cid(_ c: CID) { u8(UInt8(c.bytes.count)); fixed(c.bytes) }
    /// UTF-8 text, cut to `maxTextBytes` on a character boundary.
    mutating func text(_ s: String) {
        var cut = Substring(s)
        while cut.utf8.count > ExchangeFrame.maxTextBytes { cut = cut.dropLast() }
        shortBlob(Array(cut.utf8))
    }
}

extension WireReader {
    mutating func text() throws -> String {
        try string("text", limit: ExchangeFrame.maxTextBytes)
    }
    mutating func voucher() throws -> SignedVoucher {
        let bytes = try fixed(SignedVoucher.wireSize, "voucher")
        do { return try SignedVoucher(wire: bytes) } catch {
            throw ExchangeFrameError.invalid("voucher: \(error)")
        }
    }
    mutating func cid() throws -> CID {
        let n = Int(try u8("CID length"))
        guard n <= ExchangeFrame.maxCIDBytes else { throw ExchangeFrameError.oversize("CID of \(n) bytes") }
        guard let c = try? CID(bytes: try fixed(n, "CID")) else { throw ExchangeFrameError.invalid("not a CID") }
        return c
    }
}

extension ExchangeFrameError {
    /// The exchange's errors for what the shared codec found.
    init(_ error: WireError) {
        switch error {
        case .truncated: self = .truncated
        case .oversize(let field, let length, let limit): self = .oversize("\(field) of \(length) bytes; the limit is \(limit)")
        case .unsupportedVersion(let v): self = .unsupportedVersion(UInt8(clamping: v))
        case .unknownKind(let k): self = .unknownKind(UInt8(clamping: k))
        case .trailingBytes(let n): self = .invalid("\(n) trailing bytes")
        case .unknownTopic(let t): self = .invalid("unknown topic \(t)")
        case .invalid(let why): self = .invalid(why)
        }
    }
}
