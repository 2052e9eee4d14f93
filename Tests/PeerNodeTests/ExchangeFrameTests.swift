import ContentStore
import Testing
@testable import PeerNode

struct ExchangeFrameTests {
    let cid = CID.hashing(Array("hello".utf8))

    @Test func roundTripsEveryKind() throws {
        let frames: [ExchangeFrame] = [
            .get(id: 7, cid: cid, hops: 2),
            .block(id: 8, cid: cid, bytes: Array("hello".utf8)[...]),
            .dontHave(id: 9, cid: cid),
            .wantHave(id: 10, cids: [cid, cid]),
            .have(id: 0, cids: [cid]),
            .listStreams(id: 11),
            .streams(id: 12, manifests: [cid]),
        ]
        for frame in frames {
            #expect(try ExchangeFrame.decode(frame.encoded()) == frame)
        }
    }

    @Test func blockFrameFromStoredBytesEqualsEncoded() {
        let bytes = Array("hello".utf8)
        let direct = bytes.withUnsafeBytes { ExchangeFrame.blockFrame(id: 3, cid: cid, bytes: $0) }
        #expect(direct == ExchangeFrame.block(id: 3, cid: cid, bytes: bytes[...]).encoded())
    }

    @Test func everyTruncationIsAnErrorNotACrash() {
        let full = ExchangeFrame.block(id: 1, cid: cid, bytes: Array(repeating: 7, count: 100)[...]).encoded()
        for n in 0..<full.count {
            #expect(throws: ExchangeFrameError.self) { try ExchangeFrame.decode(Array(full.prefix(n))) }
        }
    }

    @Test func oversizeBlockIsRejectedBeforeReading() {
        var w = ByteWriter()
        w.u8(1); w.u8(2); w.u64(1); w.cid(cid); w.u32(UInt32(ExchangeFrame.maxBlockBytes + 1))
        #expect(throws: ExchangeFrameError.oversize("block of \(ExchangeFrame.maxBlockBytes + 1) bytes; the limit is \(ExchangeFrame.maxBlockBytes)")) {
            try ExchangeFrame.decode(w.out)
        }
    }

    @Test func oversizeListIsRejected() {
        var w = ByteWriter()
        w.u8(1); w.u8(4); w.u64(1); w.u16(UInt16(ExchangeFrame.maxListItems + 1))
        #expect(throws: ExchangeFrameError.self) { try ExchangeFrame.decode(w.out) }
    }

    @Test func unknownVersionKindAndTrailingBytes() {
        #expect(throws: ExchangeFrameError.unsupportedVersion(2)) { try ExchangeFrame.decode([2, 1]) }
        #expect(throws: ExchangeFrameError.unknownKind(99)) { try ExchangeFrame.decode([1, 99, 0, 0, 0, 0, 0, 0, 0, 0]) }
        #expect(throws: ExchangeFrameError.self) { try ExchangeFrame.decode(ExchangeFrame.listStreams(id: 1).encoded() + [0]) }
    }
}
