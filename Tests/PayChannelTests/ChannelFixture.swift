import Identity
import PayChannel
import Solana
import TestSupport
import Testing

/// Parties and a channel on the shared localnet, with helpers to check
/// balances to the lamport.
struct ChannelFixture {
    let deployed: Localnet.Deployed
    var rpc: SolanaRPC { deployed.net.rpc }
    var client: ChannelClient { deployed.client }
    var program: ChannelProgram { deployed.client.program }

    static let fee = WellKnown.lamportsPerSignature

    static func make() async throws -> ChannelFixture {
        ChannelFixture(deployed: try await Localnet.shared.deployProgram())
    }

    /// An RPC client for a loopback port nobody listens on (one quick retry).
    static func unreachableRPC() throws -> SolanaRPC {
        var config = ChainConfig(rpcURL: "http://127.0.0.1:\(try Localnet.freePort())")
        config.retries = 1
        config.retryDelay = 0.01
        config.requestTimeout = 2
        return try SolanaRPC(config: config)
    }

    func funded(_ lamports: UInt64 = 10 * WellKnown.lamportsPerSol) async throws -> KeyPair {
        let k = KeyPair.generate()
        try await rpc.confirm(try await rpc.requestAirdrop(k.address, lamports: lamports))
        return k
    }

    /// The chain's clock (wall time plus whatever tests moved it on).
    func now() async throws -> Int64 {
        let r = try await rpc.call("localnet_getClock")
        return try #require(r["unixTimestamp"]?.int64)
    }

    func advanceClock(_ seconds: Int64) async throws {
        _ = try await rpc.call("localnet_advanceClock", [.int(seconds)])
    }

    func balance(_ a: Address) async throws -> UInt64 { try await rpc.balance(a) }

    /// The channel's opening as the chain records it.
    func opening(_ channel: Address) async throws -> UInt64 { try #require(try await client.state(channel)).opening }

    func channelRent() async throws -> UInt64 { try await rpc.minimumBalanceForRentExemption(ChannelState.size) }

    struct Channel {
        let payer: KeyPair
        let payee: KeyPair
        let id: UInt64
        let address: Address
        /// The slot the program recorded for this opening (vouchers name it).
        let opening: UInt64
        let deposit: UInt64
        let expiry: Int64
    }

    func openChannel(deposit: UInt64 = 1_000_000, expiresIn: Int64 = 86_400,
                     payer: KeyPair? = nil, payee: KeyPair? = nil) async throws -> Channel {
        let payer = try await { if let payer { return payer }; return try await funded() }()
        let payee = try await { if let payee { return payee }; return try await funded(WellKnown.lamportsPerSol) }()
        let id = ChannelClient.newChannelId()
        let expiry = try await now() + expiresIn
        let (address, opening, _) = try await client.open(payer: payer, payee: payee.address, channelId: id,
                                                          deposit: deposit, expiry: expiry)
        return Channel(payer: payer, payee: payee, id: id, address: address, opening: opening, deposit: deposit,
                       expiry: expiry)
    }

    /// Sends without preflight so the program itself rejects it on chain;
    /// returns the failure (the fee is charged, nothing else moves).
    func rejected(_ instructions: [Instruction], feePayer: KeyPair, signers: [KeyPair] = [],
                  sourceLocation: SourceLocation = #_sourceLocation) async throws -> TransactionFailure? {
        let tx = try await rpc.transaction(instructions, feePayer: feePayer, signers: signers)
        let sig = try await rpc.send(tx, skipPreflight: true)
        do {
            try await rpc.confirm(sig)
            Issue.record("the transaction went through", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error.failure
        }
    }

    /// Snapshot of what an attack must not change.
    struct Snapshot: Equatable {
        var channelLamports: UInt64
        var state: ChannelState?
        var balances: [UInt64]
    }

    func snapshot(_ channel: Address, _ others: [Address]) async throws -> Snapshot {
        var balances: [UInt64] = []
        for a in others { balances.append(try await balance(a)) }
        return Snapshot(channelLamports: try await balance(channel), state: try await client.state(channel),
                        balances: balances)
    }
}
