import Identity
import Testing
@testable import PayChannel

struct TipReceiptTests {
    let creator = KeyPair.generate()
    let tipper = KeyPair.generate().address
    let stream = "creator/talk"

    @Test func aReceiptRoundTripsThroughItsChatReferenceAndVerifies() throws {
        let receipt = TipReceipt.sign(stream: stream, tipper: tipper, amount: 250_000,
                                      textHash: TipReceipt.textHash("great talk!"), creator: creator)
        #expect(receipt.reference.hasPrefix("tip1:250000:"))
        #expect(receipt.reference.utf8.count <= 128)  // ChatMessage.maxTipReferenceBytes
        let parsed = try #require(TipReceipt.parse(reference: receipt.reference, stream: stream, author: tipper, text: "great talk!"))
        #expect(parsed == receipt)
        #expect(parsed.isSigned(by: creator.address))
    }

    @Test func anyChangeOfContextBreaksTheReceipt() throws {
        let receipt = TipReceipt.sign(stream: stream, tipper: tipper, amount: 250_000,
                                      textHash: TipReceipt.textHash("great talk!"), creator: creator)
        let ref = receipt.reference
        // Another text, author, stream, amount, or signer: none verifies.
        #expect(TipReceipt.parse(reference: ref, stream: stream, author: tipper, text: "GREAT talk!")?.isSigned(by: creator.address) == false)
        #expect(TipReceipt.parse(reference: ref, stream: stream, author: KeyPair.generate().address, text: "great talk!")?
            .isSigned(by: creator.address) == false)
        #expect(TipReceipt.parse(reference: ref, stream: "creator/other", author: tipper, text: "great talk!")?
            .isSigned(by: creator.address) == false)
        let inflated = ref.replacingOccurrences(of: "tip1:250000:", with: "tip1:950000:")
        #expect(TipReceipt.parse(reference: inflated, stream: stream, author: tipper, text: "great talk!")?
            .isSigned(by: creator.address) == false)
        #expect(receipt.isSigned(by: KeyPair.generate().address) == false)
    }

    @Test func malformedReferencesAreNotReceipts() {
        for bad in ["", "tip1:", "tip1:12", "tip1:x:AAAA", "tip2:5:AAAA", "tip1:5:!!!!", "tip1:5:AAAA",
                    "tip1:-5:" + String(repeating: "A", count: 86)] {
            #expect(TipReceipt.parse(reference: bad, stream: stream, author: tipper, text: "t") == nil, "\(bad)")
        }
    }
}
