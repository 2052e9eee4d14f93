import Foundation
import Identity
import PayChannel
import Solana

/// The demo's chain: the repository's localnet with its ledger in the work
/// directory, the payment-channel program deployed through the upgradeable
/// loader (as `nodectl chain deploy` does), the nodes funded by airdrops
/// (as `nodectl chain airdrop` does).
struct DemoChain: Sendable {
    let repository: String
    let localnet: LocalnetProcess
    var ledger: String { localnet.ledger }
    var url: String { localnet.url }
    var rpc: SolanaRPC { localnet.rpc }

    /// Starts localnet on a free port. `exitWith`: a pid whose end stops it
    /// (the demo's own, unless --keep leaves the chain running).
    static func start(repository: String, ledger: String, exitWith: Int32?, log: String) throws -> DemoChain {
        DemoChain(repository: repository,
                  localnet: try LocalnetProcess.start(script: RepositoryFiles.localnetScript(repository), ledger: ledger,
                                                      exitWith: exitWith, log: log))
    }

    /// Stops the localnet of this ledger (it also stops by itself with the demo's process).
    static func stop(repository: String, ledger: String, log: String) {
        try? LocalnetProcess.stop(script: RepositoryFiles.localnetScript(repository), ledger: ledger, log: log)
    }

    /// Deploys `elf` (paid by a throwaway key) and makes it final; returns the program id.
    func deploy(elf: [UInt8], deployerLamports: UInt64, progress: @escaping @Sendable (Int, Int) -> Void) throws -> Address {
        let localnet = self.localnet
        return try runBlocking {
            try await localnet.deploy(elf: elf, deployerLamports: deployerLamports, progress: progress)
        }
    }

    /// Airdrops `lamports` to each address and waits for every confirmation.
    func airdrop(_ addresses: [Address], lamports: UInt64) throws {
        let localnet = self.localnet
        try runBlocking { try await localnet.airdrop(addresses, lamports: lamports) }
    }

    func balances(_ addresses: [Address]) throws -> [UInt64] {
        let rpc = self.rpc
        return try runBlocking {
            var out: [UInt64] = []
            for a in addresses { out.append(try await rpc.balance(a)) }
            return out
        }
    }

    /// Every channel of the program on chain, with its account's lamports.
    func channels(program: Address) throws -> [DemoChannelOnChain] {
        let rpc = self.rpc
        return try runBlocking {
            let found = try await rpc.programAccounts(program, filters: [.dataSize(ChannelState.size)])
            return try found.map { address, info in
                let state: ChannelState
                do { state = try ChannelState(decoding: info.data) } catch {
                    throw LabError("channel account \(address) does not decode: \(error)")
                }
                return DemoChannelOnChain(address: address, state: state, lamports: info.lamports)
            }.sorted { $0.address < $1.address }
        }
    }

    /// Channels on chain where `payee` is paid, through the client nodes use.
    func channels(program: Address, payee: Address) throws -> [(Address, ChannelState)] {
        let client = ChannelClient(rpc: rpc, programId: program)
        return try runBlocking { try await client.channels(payee: payee) }
    }
}

/// A channel account as the chain shows it.
struct DemoChannelOnChain: Sendable {
    let address: Address
    let state: ChannelState
    /// The account's balance: rent plus the deposit not yet claimed.
    let lamports: UInt64
}
