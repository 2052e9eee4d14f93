import Identity
@testable import Solana
import TestSupport
import Testing

/// The JSON-RPC client against localnet: duplicates, preflight errors, statuses.
@Suite(.timeLimit(.minutes(3))) struct SolanaRPCTests {
    @Test func sameTransactionTwiceLandsOnce() async throws {
        let f = try await LocalChain.make()
        let a = try await f.funded(WellKnown.lamportsPerSol)
        let b = KeyPair.generate().address
        let tx = try await f.rpc.transaction([SystemProgram.transfer(from: a.address, to: b, lamports: 2_000_000)], feePayer: a)
        let first = try await f.rpc.send(tx)
        let second = try await f.rpc.send(tx)   // a rebroadcast: AlreadyProcessed means it is there
        #expect(first == second && first == tx.signature)
        try await f.rpc.confirm(first)
        #expect(try await f.balance(b) == 2_000_000)
        #expect(try await f.balance(a.address) == WellKnown.lamportsPerSol - 2_000_000 - LocalChain.fee)
    }

    @Test func aBlockhashThatAgedOutIsRecognisedSoTheTransactionIsSignedAgain() async throws {
        let f = try await LocalChain.make()
        let a = try await f.funded(WellKnown.lamportsPerSol)
        // A blockhash the cluster never issued stands for one that aged out.
        let stale = try SolanaRPC.sign([SystemProgram.transfer(from: a.address, to: KeyPair.generate().address, lamports: 1_000_000)],
                                       feePayer: a, signers: [], blockhash: (0..<32).map { _ in UInt8.random(in: 0...255) })
        do {
            _ = try await f.rpc.send(stale)
            Issue.record("a transaction over an unknown blockhash was accepted")
        } catch {
            #expect(SolanaRPC.blockhashAgedOut(error), "\(error)")
        }
        #expect(SolanaRPC.blockhashAgedOut(.blockhashExpired(signature: "x")))
        #expect(!SolanaRPC.blockhashAgedOut(.notConfirmed(signature: "x", seconds: 1)))
        // sendAndConfirm itself signs over a fresh blockhash and lands.
        let b = KeyPair.generate().address
        _ = try await f.rpc.sendAndConfirm([SystemProgram.transfer(from: a.address, to: b, lamports: 1_000_000)], feePayer: a)
        #expect(try await f.balance(b) == 1_000_000)
    }

    @Test func preflightErrorsCarryTheTransactionErrorAndLogs() async throws {
        let f = try await LocalChain.make()
        let a = try await f.funded(WellKnown.lamportsPerSol)
        let tooMuch = try await f.rpc.transaction([SystemProgram.transfer(from: a.address, to: KeyPair.generate().address,
                                                                          lamports: 2 * WellKnown.lamportsPerSol)], feePayer: a)
        do {
            _ = try await f.rpc.send(tooMuch)
            Issue.record("sent")
        } catch {
            guard case .rpc(let code, _, let failure, let logs) = error else { Issue.record("\(error)"); return }
            #expect(code == -32002)
            #expect(failure == .instruction(index: 0, .custom(1)))
            #expect(!logs.isEmpty)
        }
        let stale = try Transaction(instructions: [SystemProgram.transfer(from: a.address, to: a.address, lamports: 0)],
                                    feePayer: a.address, recentBlockhash: (0..<32).map { _ in .random(in: 0...255) }, signers: [a])
        await #expect(throws: ChainError.self) { try await f.rpc.send(stale) }
        do { _ = try await f.rpc.send(stale) } catch { #expect(error.failure == .named("BlockhashNotFound")) }
        #expect(try await f.balance(a.address) == WellKnown.lamportsPerSol)   // preflight failures cost nothing

        let statuses = try await f.rpc.signatureStatuses([stale.signature])
        #expect(statuses == [nil])
        let sim = try await f.rpc.simulate(tooMuch)
        #expect(sim.failure == .instruction(index: 0, .custom(1)))
        #expect(try await f.rpc.health())
        #expect(try await f.rpc.slot() > 0)
        #expect(try await f.rpc.accountInfo(KeyPair.generate().address) == nil)
    }
}

/// The shared localnet, and funded keys on it.
struct LocalChain {
    let rpc: SolanaRPC

    static let fee = WellKnown.lamportsPerSignature

    static func make() async throws -> LocalChain { LocalChain(rpc: try await Localnet.shared.start().rpc) }

    func funded(_ lamports: UInt64) async throws -> KeyPair {
        let k = KeyPair.generate()
        try await rpc.confirm(try await rpc.requestAirdrop(k.address, lamports: lamports))
        return k
    }

    func balance(_ a: Address) async throws -> UInt64 { try await rpc.balance(a) }
}
