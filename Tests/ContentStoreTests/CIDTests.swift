import Testing
@testable import ContentStore

@Suite struct CIDTests {
    // Values kubo gives (shared/notes/kubo.md).
    @Test func matchesKuboRawCIDs() throws {
        #expect(CID.hashing([UInt8]()).description == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
        #expect(CID.hashing([UInt8](repeating: UInt8(ascii: "a"), count: 1000)).description
                == "bafkreicb5xwoilld5dm36uk2totjglq4edf4t5nf2e2giww3lwy3s436um")
        #expect(CID.hashing([UInt8](repeating: UInt8(ascii: "a"), count: 262144)).description
                == "bafkreig5hxpioyr5tjvtktdizfb5dcoitrrwklmulz5334eynsxjdjevee")
    }

    @Test func parsesAndPrintsEveryForm() throws {
        let text = "bafkreicb5xwoilld5dm36uk2totjglq4edf4t5nf2e2giww3lwy3s436um"
        let cid = try CID(text)
        #expect(cid.version == 1 && cid.codec == .raw)
        #expect(cid.description == text)
        #expect(try CID(bytes: cid.bytes) == cid)
        #expect(try CID(text.uppercased()) == cid)
        let v0 = try CID("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")
        #expect(v0.version == 0 && v0.codec == .dagPB)
        #expect(v0.description == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")
        #expect(v0.v1.description.hasPrefix("bafybei"))
        let manifest = CID.hashing([UInt8]("{}".utf8), codec: .dagJSON)
        #expect(try CID(manifest.description) == manifest)
    }

    @Test func rejectsBadCIDsWithClearErrors() {
        let good = "bafkreicb5xwoilld5dm36uk2totjglq4edf4t5nf2e2giww3lwy3s436um"
        #expect(throws: CIDError.empty) { try CID("") }
        #expect(throws: CIDError.unsupportedMultibase("x")) { try CID("xabc") }
        #expect(throws: CIDError.truncated) { try CID(String(good.dropLast(10))) }
        #expect(throws: CIDError.self) { try CID(good + "aa") }
        #expect(throws: CIDError.self) { try CID("b!!!") }
        #expect(throws: CIDError.self) { try CID("Qm" + String(repeating: "0", count: 44)) }
        // sha-512 multihash: unsupported hash, said so.
        #expect(throws: CIDError.unsupportedHash(0x13)) { try CID(bytes: [1, 0x55, 0x13, 0x40] + [UInt8](repeating: 0, count: 64)) }
        #expect(throws: CIDError.unsupportedCodec(0x99)) { try CID(bytes: [1, 0x99, 0x01, 0x12, 0x20] + [UInt8](repeating: 0, count: 32)) }
        #expect(throws: CIDError.badDigestLength(31)) { try CID(codec: .raw, digest: [UInt8](repeating: 0, count: 31)) }
        #expect(throws: CIDError.truncated) { try CID(bytes: [1]) }
    }

    @Test func base32RoundTrips() {
        for n in 0..<40 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255) }
            #expect(Base32.decode(Base32.encode(bytes)) == bytes)
        }
        #expect(Base32.encode(Array("foobar".utf8)) == "mzxw6ytboi")
    }

    @Test func varintEdges() {
        for value: UInt64 in [0, 1, 127, 128, 300, 0x0129, UInt64(UInt32.max), UInt64.max >> 1] {
            var offset = 0
            #expect(Varint.decode(Varint.encode(value), at: &offset) == value)
        }
        var offset = 0
        #expect(Varint.decode([0x80, 0x80], at: &offset) == nil)
    }
}
