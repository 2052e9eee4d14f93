import Identity
import Transport

/// What a node says about itself, signed with its identity: where to reach
/// it, what it charges per chunk, what it does. A higher `seq` replaces a
/// lower one; records travel in HELLO, in peer exchange and on the peers topic.
public struct PeerRecord: Sendable, Equatable {
    public static let version: UInt8 = 1
    public static let maxEndpoints = 8
    public static let maxEndpointBytes = 128
    public static let maxCapabilities = 16
    public static let maxCapabilityBytes = 128

    public var address: Address
    public var endpoints: [String]
    public var pricePerChunk: UInt64
    public var capabilities: [String]
    public var seq: UInt64

    public init(address: Address, endpoints: [String], pricePerChunk: UInt64, capabilities: [String], seq: UInt64) {
        self.address = address
        self.endpoints = endpoints
        self.pricePerChunk = pricePerChunk
        self.capabilities = capabilities
        self.seq = seq
    }

    func encoded() -> [UInt8] {
        var w = WireWriter()
        w.u8(Self.version)
        w.fixed(address.bytes)
        w.u16(UInt16(endpoints.count))
        for e in endpoints { w.string(e) }
        w.u64(pricePerChunk)
        w.u16(UInt16(capabilities.count))
        for c in capabilities { w.string(c) }
        w.u64(seq)
        return w.bytes
    }

    static func decode(_ r: inout WireReader) throws(WireError) -> PeerRecord {
        let version = try r.u8("peer record version")
        guard version == Self.version else { throw .unsupportedVersion(Int(version)) }
        let addressBytes = try r.fixed(Address.byteCount, "peer address")
        guard let address = try? Address(bytes: addressBytes) else { throw .invalid("peer address") }
        let n = try r.count("endpoints", limit: maxEndpoints)
        var endpoints: [String] = []
        for _ in 0..<n { endpoints.append(try r.string("endpoint", limit: maxEndpointBytes)) }
        let price = try r.u64("price per chunk")
        let c = try r.count("capabilities", limit: maxCapabilities)
        var capabilities: [String] = []
        for _ in 0..<c { capabilities.append(try r.string("capability", limit: maxCapabilityBytes)) }
        let seq = try r.u64("record seq")
        return PeerRecord(address: address, endpoints: endpoints, pricePerChunk: price,
                          capabilities: capabilities, seq: seq)
    }

    /// Checks the limits a decoder enforces, so we never sign what others would reject.
    func validate() throws(WireError) {
        if endpoints.count > Self.maxEndpoints { throw .oversize(field: "endpoints", length: endpoints.count, limit: Self.maxEndpoints) }
        if capabilities.count > Self.maxCapabilities {
            throw .oversize(field: "capabilities", length: capabilities.count, limit: Self.maxCapabilities)
        }
        for e in endpoints where e.utf8.count > Self.maxEndpointBytes || !e.hasPrefix("tcp://") {
            throw .invalid("endpoint '\(e.prefix(64))' must be tcp://host:port of at most \(Self.maxEndpointBytes) bytes")
        }
        for c in capabilities where c.utf8.count > Self.maxCapabilityBytes {
            throw .oversize(field: "capability", length: c.utf8.count, limit: Self.maxCapabilityBytes)
        }
    }
}

/// A peer record with its author's signature: record bytes ‖ signature.
public struct SignedPeerRecord: Sendable, Equatable {
    public let record: PeerRecord
    public let signature: [UInt8]
    /// The encoded record followed by the signature, as it travels.
    public let wire: [UInt8]

    public init(_ record: PeerRecord, signedBy key: KeyPair) throws(WireError) {
        guard record.address == key.address else { throw .invalid("a peer record is signed by its own address") }
        try record.validate()
        let bytes = record.encoded()
        self.record = record
        self.signature = key.sign(bytes, domain: .peerRecord)
        self.wire = bytes + signature
    }

    /// The record in `wire`, its signature NOT checked: only to tell whether
    /// it is worth checking (a newer seq than the one we hold).
    static func unverifiedRecord(_ wire: [UInt8]) -> PeerRecord? {
        var r = WireReader(wire)
        return try? PeerRecord.decode(&r)
    }

    /// Parses and verifies; a record whose signature does not verify is an error.
    public init(wire: [UInt8]) throws(WireError) {
        var r = WireReader(wire)
        let record = try PeerRecord.decode(&r)
        let signedEnd = r.offset
        let signature = try r.fixed(Envelope.signatureBytes, "record signature")
        try r.finish()
        try record.validate()
        guard record.address.verifies(signature: signature, message: wire[0..<signedEnd], domain: .peerRecord) else {
            throw .invalid("peer record signature does not verify")
        }
        self.record = record
        self.signature = signature
        self.wire = wire
    }
}
