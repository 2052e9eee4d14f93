import Testing
@testable import Gossip
import Identity
import Transport

@Suite struct WireTests {
    let limits = Frame.Limits(maxFrameBytes: 64 << 10, maxListItems: 100, maxEnvelopeBytes: 8 << 10)

    static func sampleFrames() -> [Frame] {
        let id = try! MessageID(bytes: Array(repeating: 7, count: 32))
        return [
            .hello(record: [1, 2, 3], version: 9, topics: ["peers/1", "streams/1"]),
            .helloRequest, .ping, .peersRequest,
            .subscriptions(version: 3, topics: ["streams/1", "peers/1"]),
            .publish([[1, 2], [3]]),
            .ihave(topic: "streams/1", ids: [id, id]),
            .iwant([id]),
            .graft(["streams/1"]),
            .prune(topics: ["streams/1"], backoffSeconds: 60, peers: [[9, 9]]),
            .peers([[1], [2, 3]]),
            .historyRequest(topic: "chat/1/x/y", limit: 50),
            .history(topic: "chat/1/x/y", envelopes: [[5, 6, 7]]),
        ]
    }

    @Test func everyFrameRoundTrips() throws {
        for frame in Self.sampleFrames() {
            #expect(try Frame.decode(frame.encoded(), limits: limits) == frame)
        }
    }

    @Test func everyTruncationIsAnErrorNotACrash() {
        for frame in Self.sampleFrames() {
            let bytes = frame.encoded()
            for cut in 0..<bytes.count {
                #expect(throws: WireError.self) { try Frame.decode(Array(bytes.prefix(cut)), limits: limits) }
            }
        }
    }

    @Test func oversizeFramesAreRejectedBeforeDecoding() {
        let big = Frame.publish([Array(repeating: 1, count: 70 << 10)]).encoded()
        #expect(throws: WireError.oversize(field: "frame", length: big.count, limit: 64 << 10)) {
            try Frame.decode(big, limits: limits)
        }
        // A header that claims a huge body is refused on the length alone.
        let lying: [UInt8] = [1, 4, 0xff, 0xff, 0xff, 0xff, 0, 1]
        #expect(throws: WireError.self) { try Frame.decode(lying, limits: limits) }
        // A list count over the cap is refused before any item is read.
        var w = WireWriter()
        w.u16(5000)
        let body = w.bytes
        let tooMany: [UInt8] = [1, 4, 0, 0, 0, UInt8(body.count)] + body
        #expect(throws: WireError.oversize(field: "envelopes", length: 5000, limit: 100)) {
            try Frame.decode(tooMany, limits: limits)
        }
        // An envelope blob over its cap.
        let fat = Frame.publish([Array(repeating: 0, count: 9 << 10)]).encoded()
        #expect(throws: WireError.self) { try Frame.decode(fat, limits: limits) }
    }

    @Test func wrongVersionUnknownKindAndTrailingBytesAreErrors() {
        #expect(throws: WireError.unsupportedVersion(2)) { try Frame.decode([2, 13, 0, 0, 0, 0], limits: limits) }
        #expect(throws: WireError.unknownKind(99)) { try Frame.decode([1, 99, 0, 0, 0, 0], limits: limits) }
        #expect(throws: WireError.self) { try Frame.decode([1, 13, 0, 0, 0, 0, 42], limits: limits) }
    }

    @Test func randomGarbageNeverCrashesTheDecoder() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<300, using: &g)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
            if bytes.count > 6 && Bool.random(using: &g) {
                bytes[0] = 1
                bytes[1] = UInt8.random(in: 1...13, using: &g)
                let len = UInt32(bytes.count - 6)
                bytes[2] = UInt8(len >> 24); bytes[3] = UInt8((len >> 16) & 0xff)
                bytes[4] = UInt8((len >> 8) & 0xff); bytes[5] = UInt8(len & 0xff)
            }
            _ = try? Frame.decode(bytes, limits: limits)
            _ = try? Envelope(wire: bytes, maxPayload: 1024)
            _ = try? SignedPeerRecord(wire: bytes)
            _ = try? StreamAnnouncement.decode(bytes)
            _ = try? ChatMessage.decode(bytes, maxText: 100)
            _ = try? ModerationAction.decode(bytes)
        }
    }
}
