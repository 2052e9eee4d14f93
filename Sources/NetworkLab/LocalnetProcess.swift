import Foundation
import Identity
import Solana
#if canImport(Glibc)
import Glibc
#endif

/// The repository's localnet (localnet/localnet) on a free loopback port:
/// the one launcher the demo and the tests share. `--port 0` lets the OS
/// pick the port, and the server writes it into the ledger folder.
public struct LocalnetProcess: Sendable {
    public let script: String
    public let ledger: String
    public let port: Int
    public let url: String
    public let rpc: SolanaRPC

    /// Starts localnet with its ledger in `ledger`; `exitWith`: a pid whose
    /// end stops it (so it never outlives the run that started it);
    /// `log`: where the start command's output goes.
    public static func start(script: String, ledger: String, exitWith: Int32?, log: String,
                             timeout: Double = 60) throws -> LocalnetProcess {
        var arguments = ["start", "--port", "0", "--ledger", ledger]
        if let exitWith { arguments += ["--exit-with", String(exitWith)] }
        try ChildProcess.run(script, arguments, log: log, timeout: timeout)
        let text = (try? String(contentsOfFile: ledger + "/localnet.port", encoding: .utf8)) ?? ""
        guard let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw LabError("localnet started but wrote no port in \(ledger)/localnet.port (see \(ledger)/localnet.log)")
        }
        let url = "http://127.0.0.1:\(port)"
        return LocalnetProcess(script: script, ledger: ledger, port: port, url: url,
                               rpc: try SolanaRPC(config: ChainConfig(rpcURL: url)))
    }

    /// Stops the localnet of `ledger`.
    public static func stop(script: String, ledger: String, log: String, timeout: Double = 30) throws {
        try ChildProcess.run(script, ["stop", "--ledger", ledger], log: log, timeout: timeout)
    }

    public func stop(log: String) throws { try Self.stop(script: script, ledger: ledger, log: log) }

    /// Deploys `elf` through the upgradeable loader, paid by a throwaway key
    /// funded here (so no node's balance carries the deployment), and makes
    /// it final (payees take vouchers only through a program no one can
    /// upgrade); returns the program id.
    public func deploy(elf: [UInt8], deployerLamports: UInt64,
                       progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> Address {
        let deployer = KeyPair.generate()
        try await rpc.confirm(try await rpc.requestAirdrop(deployer.address, lamports: deployerLamports))
        let loader = ProgramDeployer(rpc: rpc)
        let id = try await loader.deploy(elf: elf, payer: deployer, progress: progress ?? { _, _ in })
        try await loader.makeFinal(program: id, authority: deployer)
        return id
    }

    /// Airdrops `lamports` to each address and waits for every confirmation.
    public func airdrop(_ addresses: [Address], lamports: UInt64) async throws {
        var signatures: [String] = []
        for a in addresses { signatures.append(try await rpc.requestAirdrop(a, lamports: lamports)) }
        for s in signatures { _ = try await rpc.confirm(s) }
    }
}
