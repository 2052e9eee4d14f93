import Testing
@testable import Identity

@Suite struct KeyPairTests {
    // RFC 8032 section 7.1, test 1.
    let seed = hexBytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    let publicKey = hexBytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    let emptySignature = hexBytes("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")

    @Test func rfc8032Vector() {
        let keys = KeyPair.fromSeed(seed)
        #expect(keys.publicKey == publicKey)
        #expect(keys.sign([UInt8]()) == emptySignature)
        #expect(KeyPair.verify(signature: emptySignature, message: [UInt8](), publicKey: publicKey))
        #expect(keys.address.base58 == Base58.encode(publicKey))
    }

    @Test func secretKeyRoundTripAndMismatch() throws {
        let keys = KeyPair.generate()
        let again = try KeyPair(secretKey: keys.secretKeyBytes)
        #expect(again.publicKey == keys.publicKey)
        let fromBase58 = try KeyPair(base58SecretKey: Base58.encode(keys.secretKeyBytes) + "\n")
        #expect(fromBase58.address == keys.address)
        var corrupted = keys.secretKeyBytes
        corrupted[40] ^= 1
        #expect(throws: IdentityError.self) { try KeyPair(secretKey: corrupted) }
        #expect(throws: IdentityError.self) { try KeyPair(secretKey: [1, 2, 3]) }
        #expect(throws: IdentityError.self) { try KeyPair(base58SecretKey: "0OIl") }
        #expect(throws: IdentityError.self) { try KeyPair(base58SecretKey: "") }
    }

    @Test func domainSeparationKeepsSignaturesApart() {
        let keys = KeyPair.generate()
        let chat = SigningDomain("peernode/chat")
        let record = SigningDomain("peernode/peer-record")
        let message = Array("hello".utf8)
        let signature = keys.sign(message, domain: chat)
        #expect(keys.address.verifies(signature: signature, message: message, domain: chat))
        #expect(!keys.address.verifies(signature: signature, message: message, domain: record))
        #expect(!KeyPair.verify(signature: signature, message: message, publicKey: keys.publicKey))
        var tampered = signature
        tampered[0] ^= 0x80
        #expect(!keys.address.verifies(signature: tampered, message: message, domain: chat))
        #expect(!keys.address.verifies(signature: [1, 2], message: message, domain: chat))
    }

    @Test func curveKeysAgreeBetweenBothSides() throws {
        let keys = KeyPair.generate()
        let curve = try keys.curveKeyPair()
        #expect(try keys.address.curvePublicKey() == curve.publicKey)
        #expect(curve.secretKey.count == 32)
        #expect(curve.publicKey != keys.publicKey)
    }
}
