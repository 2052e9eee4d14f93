import Foundation
import PayChannel
import Testing

@Suite struct PaymentPurposeTests {
    @Test(arguments: [PaymentPurpose.chunks, .seconds(stream: "live/cooking"), .tip(stream: "vod-ü-✓"),
                      .tip(stream: String(repeating: "s", count: PaymentPurpose.maxStreamBytes))])
    func roundTrips(_ purpose: PaymentPurpose) throws {
        let bytes = purpose.encoded()
        #expect(try PaymentPurpose(decoding: bytes[...]) == purpose)
        #expect(bytes.count == (purpose.stream.map { 2 + $0.utf8.count } ?? 1))
        // Inside a larger frame: decodePrefix says where it ends.
        let frame: [UInt8] = [9, 9] + bytes + [7]
        let (decoded, used) = try PaymentPurpose.decodePrefix(frame[2...])
        #expect(decoded == purpose && used == bytes.count)
        let json = try JSONEncoder().encode(purpose)
        #expect(try JSONDecoder().decode(PaymentPurpose.self, from: json) == purpose)
    }

    @Test func layoutIsKindLengthStream() {
        #expect(PaymentPurpose.chunks.encoded() == [0])
        #expect(PaymentPurpose.seconds(stream: "ab").encoded() == [1, 2, 0x61, 0x62])
        #expect(PaymentPurpose.tip(stream: "ab").encoded() == [2, 2, 0x61, 0x62])
        #expect(PaymentPurpose.tip(stream: "ab").stream == "ab" && PaymentPurpose.chunks.stream == nil)
    }

    @Test func truncatedInputThrows() {
        let full = PaymentPurpose.seconds(stream: "stream-1").encoded()
        for n in [0, 1, 2, full.count - 1] {
            #expect(throws: VoucherError.self) { try PaymentPurpose(decoding: full[0..<n]) }
        }
        #expect(throws: VoucherError.malformedPurpose("no bytes (truncated)")) { try PaymentPurpose(decoding: []) }
    }

    @Test func oversizedOrTrailingInputThrows() {
        let long: [UInt8] = [1, 129] + Array(repeating: 0x61, count: 129)
        #expect(throws: VoucherError.streamIdTooLong(bytes: 129, max: 128)) { try PaymentPurpose(decoding: long[...]) }
        #expect(throws: VoucherError.streamIdTooLong(bytes: 255, max: 128)) {
            try PaymentPurpose(decoding: [2, 255] + Array(repeating: 0x61, count: 255))
        }
        // A purpose built in code that is too long never gets accepted, and its bytes do not decode.
        let tooLong = PaymentPurpose.tip(stream: String(repeating: "x", count: 300))
        #expect(throws: VoucherError.streamIdTooLong(bytes: 300, max: 128)) { try tooLong.validated() }
        #expect(throws: VoucherError.self) { try PaymentPurpose(decoding: tooLong.encoded()[...]) }
        #expect(throws: VoucherError.malformedPurpose("1 bytes after the purpose")) { try PaymentPurpose(decoding: [0, 0]) }
    }

    @Test func badKindEmptyOrNonUTF8StreamThrows() {
        #expect(throws: VoucherError.unknownPurposeKind(3)) { try PaymentPurpose(decoding: [3, 1, 0x61]) }
        #expect(throws: VoucherError.unknownPurposeKind(0xFF)) { try PaymentPurpose(decoding: [0xFF]) }
        #expect(throws: VoucherError.malformedPurpose("empty stream id")) { try PaymentPurpose(decoding: [1, 0]) }
        #expect(throws: VoucherError.malformedPurpose("stream id is not UTF-8")) { try PaymentPurpose(decoding: [1, 2, 0xC3, 0x28]) }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(PaymentPurpose.self, from: Data(#"{"kind":"gift","stream":"a"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(PaymentPurpose.self, from: Data(#"{"kind":"tip","stream":""}"#.utf8))
        }
    }
}
