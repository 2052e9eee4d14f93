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
    let ledger: String
    let url: String
    let rpc: SolanaRPC

    static func localnetScript(_ repository: String) -> String { repository + "/localnet/localnet" }

    /// Starts localnet on a free port. `exitWith`: a pid whose end stops it
    /// (the demo's own, unless --keep leaves the chain running).
    static func start(repository: String, ledger: String, exitWith: Int32?, log: String) throws -> DemoChain {
        var arguments = ["start", "--port", "0", "--ledger", ledger]
        if let exitWith { arguments += ["--exit-with", String(exitWith)] }
        try DemoProcesses.run(localnetScript(repository), arguments, log: log, timeout: 60)
        let text = (try? String(contentsOfFile: ledger + "/localnet.port", encoding: .utf8)) ?? ""
        guard let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CLIError("localnet started but wrote no port in \(ledger)/localnet.port (see \(ledger)/localnet.log)")
        }
        let url = "http://127.0.0.1:\(port)"
        return DemoChain(repository: repository, ledger: ledger, url: url, rpc: try SolanaRPC(config: ChainConfig(rpcURL: url)))
    }

    /// Stops the localnet of this ledger (it also stops by itself with the demo's process).
    static func stop(repository: String, ledger: String, log: String) {
        _ = try? DemoProcesses.run(localnetScript(repository), ["stop", "--ledger", ledger], log: log, timeout: 30)
    }

    /// Deploys `elf`, paid by a throwaway key funded here, so that no node's
    /// balance carries the deployment, and makes it final (payees take
    /// vouchers only through a program no one can upgrade); returns the program id.
    func deploy(elf: [UInt8], deployerLamports: UInt64, progress: @escaping @Sendable (Int, Int) -> Void) throws -> Address {
        let rpc = self.rpc
        return try blocking(notes: false) {
            let deployer = KeyPair.generate()
            try await rpc.confirm(try await rpc.requestAirdrop(deployer.address, lamports: deployerLamports))
            let loader = ProgramDeployer(rpc: rpc)
            let id = try await loader.deploy(elf: elf, payer: deployer, progress: progress)
            try await loader.makeFinal(program: id, authority: deployer)
            return id
        }
    }

    /// Airdrops `lamports` to each address and waits for every confirmation.
    func airdrop(_ addresses: [Address], lamports: UInt64) throws {
        let rpc = self.rpc
        try blocking(notes: false) {
            var signatures: [String] = []
            for a in addresses { signatures.append(try await rpc.requestAirdrop(a, lamports: lamports)) }
            for s in signatures { _ = try await rpc.confirm(s) }
        }
    }

    func balances(_ addresses: [Address]) throws -> [UInt64] {
        let rpc = self.rpc
        return try blocking(notes: false) {
            var out: [UInt64] = []
            for a in addresses { out.append(try await rpc.balance(a)) }
            return out
        }
    }

    /// Every channel of the program on chain, with its account's lamports.
    func channels(program: Address) throws -> [DemoChannelOnChain] {
        let rpc = self.rpc
        return try blocking(notes: false) {
            let found = try await rpc.programAccounts(program, filters: [.dataSize(ChannelState.size)])
            return try found.map { address, info in
                let state: ChannelState
                do { state = try ChannelState(decoding: info.data) } catch {
                    throw CLIError("channel account \(address) does not decode: \(error)")
                }
                return DemoChannelOnChain(address: address, state: state, lamports: info.lamports)
            }.sorted { $0.address < $1.address }
        }
    }

    /// Channels on chain where `payee` is paid, through the client nodes use.
    func channels(program: Address, payee: Address) throws -> [(Address, ChannelState)] {
        let client = ChannelClient(rpc: rpc, programId: program)
        return try blocking(notes: false) { try await client.channels(payee: payee) }
    }
}

/// A channel account as the chain shows it.
struct DemoChannelOnChain: Sendable {
    let address: Address
    let state: ChannelState
    /// The account's balance: rent plus the deposit not yet claimed.
    let lamports: UInt64
}
