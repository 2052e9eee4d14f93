import ContentStore
import Testing
@testable import Gossip
import Identity
import Transport

@Suite struct EnvelopeTests {
    let key = KeyPair.generate()

    func stream() throws -> StreamID { try StreamID(creator: key.address, name: "talk") }

    @Test func signedEnvelopeRoundTripsAndVerifies() throws {
        let chat = ChatMessage(text: "hello", tipReference: "tip-1")
        let e = Envelope(topic: .chat(try stream()), author: key, epoch: 5, seq: 1, timestamp: 1000, payload: chat.encoded())
        let decoded = try Envelope(wire: e.wire, maxPayload: 1024)
        #expect(decoded.verify())
        #expect(decoded.id == e.id)
        #expect(decoded.topic == .chat(try stream()))
        #expect(decoded.author == key.address)
        #expect((decoded.epoch, decoded.seq, decoded.timestamp) == (5, 1, 1000))
        #expect(try ChatMessage.decode(decoded.payload, maxText: 100) == chat)
    }

    @Test func theIdIsTheHashOfTheSignedBytes() throws {
        let e = Envelope(topic: .streams, author: key, epoch: 1, seq: 1, timestamp: 1, payload: [1])
        let signed = Array(e.wire.dropLast(64))
        #expect(e.id.bytes == ChunkHash.sha256(signed))
    }

    @Test func anyFlippedBitBreaksTheSignatureOrTheDecoding() throws {
        let e = Envelope(topic: .streams, author: key, epoch: 1, seq: 1, timestamp: 1, payload: Array("x".utf8))
        for i in 0..<e.wire.count {
            var bytes = e.wire
            bytes[i] ^= 0x01
            if let decoded = try? Envelope(wire: bytes, maxPayload: 1024) { #expect(!decoded.verify()) }
        }
    }

    @Test func truncatedAndOversizeEnvelopesAreErrors() throws {
        let e = Envelope(topic: .streams, author: key, epoch: 1, seq: 1, timestamp: 1, payload: Array(repeating: 1, count: 600))
        for cut in 0..<e.wire.count {
            #expect(throws: WireError.self) { try Envelope(wire: Array(e.wire.prefix(cut)), maxPayload: 1024) }
        }
        #expect(throws: WireError.oversize(field: "payload", length: 600, limit: 100)) {
            try Envelope(wire: e.wire, maxPayload: 100)
        }
    }

    @Test func unknownTopicsAreTheirOwnError() throws {
        var w = WireWriter()
        w.u8(1); w.string("weather/1"); w.fixed(key.publicKey); w.u64(1); w.u64(1); w.u64(1); w.blob([]); w.fixed(Array(repeating: 0, count: 64))
        #expect(throws: WireError.unknownTopic("weather/1")) { try Envelope(wire: w.bytes, maxPayload: 10) }
    }

    @Test func topicsAndStreamIDsParseBack() throws {
        let s = try stream()
        for topic in [Topic.peers, .streams, .chat(s), .moderation(s)] {
            #expect(try Topic(topic.description) == topic)
        }
        #expect(throws: WireError.self) { try StreamID(creator: key.address, name: "has space") }
        #expect(throws: WireError.self) { try StreamID(creator: key.address, name: "") }
        #expect(throws: WireError.self) { try StreamID("not-an-address/x") }
    }

    @Test func peerRecordsAreSignedAndChecked() throws {
        let record = PeerRecord(address: key.address, endpoints: ["tcp://127.0.0.1:4000"], pricePerChunk: 10,
                                capabilities: ["relay"], seq: 3)
        let signed = try SignedPeerRecord(record, signedBy: key)
        #expect(try SignedPeerRecord(wire: signed.wire).record == record)
        var forged = signed.wire
        forged[forged.count - 70] ^= 1
        #expect(throws: WireError.self) { try SignedPeerRecord(wire: forged) }
        #expect(throws: WireError.self) { try SignedPeerRecord(record, signedBy: KeyPair.generate()) }
        for cut in 0..<signed.wire.count {
            #expect(throws: WireError.self) { try SignedPeerRecord(wire: Array(signed.wire.prefix(cut))) }
        }
    }

    @Test func payloadsRoundTrip() throws {
        let cid = CID.hashing([1, 2, 3])
        let a = StreamAnnouncement(stream: try stream(), title: "Live", pricePerSecond: 7, manifest: cid, liveSegment: 42)
        #expect(try StreamAnnouncement.decode(a.encoded()) == a)
        let vod = StreamAnnouncement(stream: try stream(), title: "VOD", pricePerSecond: 1)
        #expect(try StreamAnnouncement.decode(vod.encoded()) == vod)
        let m = ModerationAction(kind: .mute, target: KeyPair.generate().address, until: 99)
        #expect(try ModerationAction.decode(m.encoded()) == m)
        #expect(throws: WireError.self) { try ChatMessage.decode(ChatMessage(text: String(repeating: "a", count: 50)).encoded(), maxText: 10) }
    }
}
