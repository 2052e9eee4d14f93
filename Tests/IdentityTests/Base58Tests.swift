import Testing
@testable import Identity

@Suite struct Base58Tests {
    @Test func knownVectors() {
        // Vectors from the Bitcoin base58 test set.
        let cases: [(String, String)] = [
            ("", ""), ("61", "2g"), ("626262", "a3gV"), ("636363", "aPEr"),
            ("00000000000000000000", "1111111111"),
            ("516b6fcd0f", "ABnLTmg"), ("00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"),
        ]
        for (hex, text) in cases {
            let bytes = hexBytes(hex)
            #expect(Base58.encode(bytes) == text)
            #expect(Base58.decode(text) == bytes)
        }
    }

    @Test func solanaSystemProgramIsAllZeros() throws {
        let address = try Address(base58: "11111111111111111111111111111111")
        #expect(address.bytes == [UInt8](repeating: 0, count: 32))
    }

    @Test func rejectsCharactersOutsideTheAlphabet() {
        #expect(Base58.decode("0OIl") == nil)
        #expect(Base58.decode("abc!") == nil)
        #expect(Base58.decode("ü") == nil)
    }

    @Test func roundTripsRandomBytes() {
        for length in [1, 31, 32, 33, 64, 100] {
            for _ in 0..<20 {
                var bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
                if length > 2 { bytes[0] = 0 }
                #expect(Base58.decode(Base58.encode(bytes)) == bytes)
            }
        }
    }

    @Test func addressRejectsWrongLength() {
        #expect(throws: IdentityError.self) { try Address(base58: "2g") }
        #expect(throws: IdentityError.self) { try Address(base58: "not base58 0") }
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}
