import ContentStore
import Identity
import PayChannel
import Testing
import Transport
@testable import PeerNode

struct ExchangeFrameTests {
    let cid = CID.hashing(Array("hello".utf8))

    static let payer = KeyPair.generate()
    let voucher = Voucher(channel: KeyPair.generate().address, opening: 7, amount: 12_345, sequence: 7).signed(by: Self.payer)

    @Test func roundTripsEveryKind() throws {
        let frames: [ExchangeFrame] = [
            .get(id: 7, cid: cid, hops: 2),
            .get(id: 7, cid: cid, hops: 2, voucher: voucher),
            .paymentRequired(id: 13, cid: cid, owed: 250_000, reason: "past the disconnect threshold"),
            .pay(id: 14, voucher: voucher, purpose: [1, 2, 3], note: Array(repeating: 9, count: 32)),
            .paid(id: 15, accepted: 500, receipt: Array(repeating: 1, count: 64), error: ""),
            .paid(id: 16, accepted: 0, receipt: [], error: "voucher signature does not verify"),
            .hello(id: 0, address: Self.payer.address),
            .findPeer(id: 17, address: Self.payer.address),
            .peer(id: 17, record: Array(repeating: 5, count: 300)),
            .peer(id: 18, record: []),
            .block(id: 8, cid: cid, bytes: Array("hello".utf8)[...]),
            .dontHave(id: 9, cid: cid),
            .wantHave(id: 10, cids: [cid, cid]),
            .wantHave(id: 11, cids: [cid], hops: 2),
            .have(id: 0, cids: [cid]),
            .have(id: 12, cids: [], forwards: true),
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
        let frames: [ExchangeFrame] = [
            .block(id: 1, cid: cid, bytes: Array(repeating: 7, count: 100)[...]),
            .get(id: 2, cid: cid, hops: 1, voucher: voucher),
            .pay(id: 3, voucher: voucher, purpose: [1, 0], note: []),
            .paid(id: 4, accepted: 1, receipt: [1, 2], error: "no"),
            .paymentRequired(id: 5, cid: cid, owed: 9, reason: "pay"),
            .hello(id: 0, address: Self.payer.address),
            .findPeer(id: 6, address: Self.payer.address),
            .peer(id: 7, record: [1, 2, 3]),
            .wantHave(id: 8, cids: [cid], hops: 1),
            .have(id: 9, cids: [cid], forwards: true),
        ]
        for frame in frames {
            let full = frame.encoded()
            for n in 0..<full.count {
                #expect(throws: ExchangeFrameError.self) { try ExchangeFrame.decode(Array(full.prefix(n))) }
            }
        }
    }

    @Test func paymentFieldsAreCheckedBeforeUse() {
        // A voucher flag other than 0 or 1.
        var get = ExchangeFrame.get(id: 1, cid: cid, hops: 0).encoded()
        get[get.count - 1] = 2
        #expect(throws: ExchangeFrameError.invalid("voucher flag 2")) { try ExchangeFrame.decode(get) }
        // An oversize purpose, note or receipt is refused by its length, before reading it.
        var w = WireWriter()
        w.u8(ExchangeFrame.version); w.u8(9); w.u64(1); w.fixed(voucher.wire); w.u16(UInt16(ExchangeFrame.maxPurposeBytes + 1))
        #expect(throws: ExchangeFrameError.oversize("purpose of \(ExchangeFrame.maxPurposeBytes + 1) bytes; the limit is \(ExchangeFrame.maxPurposeBytes)")) {
            try ExchangeFrame.decode(w.bytes)
        }
        var r = WireWriter()
        r.u8(ExchangeFrame.version); r.u8(10); r.u64(1); r.u64(5); r.u16(65)
        #expect(throws: ExchangeFrameError.self) { try ExchangeFrame.decode(r.bytes + Array(repeating: 0, count: 65) + [0, 0]) }
        // Text that is not UTF-8.
        var t = WireWriter()
        t.u8(ExchangeFrame.version); t.u8(10); t.u64(1); t.u64(5); t.u16(0); t.u16(2); t.fixed([0xff, 0xfe])
        #expect(throws: ExchangeFrameError.invalid("text is not UTF-8")) { try ExchangeFrame.decode(t.bytes) }
        // Long reasons are cut on a character boundary, never sent oversize.
        let long = String(repeating: "é", count: 400)
        guard case .paymentRequired(_, _, _, let reason)? = try? ExchangeFrame.decode(
            ExchangeFrame.paymentRequired(id: 1, cid: cid, owed: 1, reason: long).encoded()) else {
            Issue.record("a long reason did not round-trip")
            return
        }
        #expect(reason.utf8.count <= ExchangeFrame.maxTextBytes && long.hasPrefix(reason))
    }

    @Test func oversizeBlockIsRejectedBeforeReading() {
        var w = WireWriter()
        w.u8(ExchangeFrame.version); w.u8(2); w.u64(1); w.cid(cid); w.u32(UInt32(ExchangeFrame.maxBlockBytes + 1))
        #expect(throws: ExchangeFrameError.oversize("block of \(ExchangeFrame.maxBlockBytes + 1) bytes; the limit is \(ExchangeFrame.maxBlockBytes)")) {
            try ExchangeFrame.decode(w.bytes)
        }
    }

    @Test func oversizeListIsRejected() {
        var w = WireWriter()
        w.u8(ExchangeFrame.version); w.u8(4); w.u64(1); w.u16(UInt16(ExchangeFrame.maxListItems + 1))
        #expect(throws: ExchangeFrameError.self) { try ExchangeFrame.decode(w.bytes) }
    }

    @Test func unknownVersionKindAndTrailingBytes() {
        #expect(throws: ExchangeFrameError.unsupportedVersion(1)) { try ExchangeFrame.decode([1, 1]) }
        #expect(throws: ExchangeFrameError.unsupportedVersion(2), "a node from before content routing and vouchers that name the opening") {
            try ExchangeFrame.decode([2, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0])
        }
        #expect(throws: ExchangeFrameError.unknownKind(99)) {
            try ExchangeFrame.decode([ExchangeFrame.version, 99, 0, 0, 0, 0, 0, 0, 0, 0])
        }
        var flag = ExchangeFrame.have(id: 1, cids: [], forwards: true).encoded()
        flag[flag.count - 1] = 2
        #expect(throws: ExchangeFrameError.invalid("forwards flag 2")) { try ExchangeFrame.decode(flag) }
        #expect(throws: ExchangeFrameError.self) { try ExchangeFrame.decode(ExchangeFrame.listStreams(id: 1).encoded() + [0]) }
    }
}
