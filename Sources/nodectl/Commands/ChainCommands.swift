import ArgumentParser
import Foundation
import Identity
import NetworkLab
import PayChannel
import PeerNode
import Solana

struct ChainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain", abstract: "Deploy the payment-channel program and fund accounts on a Solana network.",
        subcommands: [ChainDeploy.self, ChainAirdrop.self])
}

struct ChainDeploy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy the payment-channel program through the upgradeable loader, paid by the node's identity, and remember the program id (or --upgrade it in place).",
        discussion: """
        The program file is programs/out/paychannel.so in the repository, found as the demo finds it (above this \
        executable, or the current directory), unless --program or --repo says otherwise. The id is saved in the \
        data directory's chain.json, and with --config DATADIR also in that node's config.json. Payees take \
        vouchers only through a final program (--final) unless they trust its upgrade authority \
        (trustedUpgradeAuthorities in config.json).
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var chain: ChainOptions

    @Option(name: .long, help: ArgumentHelp("The program's shared object (default: programs/out/paychannel.so in the repository).", valueName: "file"))
    var program: String?

    @Option(help: ArgumentHelp("The repository (programs/out/); default: found above this executable or here.", valueName: "dir"))
    var repo: String?

    @Option(name: .long, help: ArgumentHelp("A key file fixing the program id (default: a fresh key).", valueName: "file"))
    var programKeypair: String?

    @Flag(name: .long, help: "Upgrade the configured program (--program-id or chain.json) in place instead of deploying a new one; the node's identity must be its upgrade authority.")
    var upgrade = false

    @Flag(name: .long, help: "Then make the program final: no one can ever upgrade it (payees require this unless they trust the upgrade authority).")
    var final = false

    @Option(name: .customLong("config"), help: ArgumentHelp("Also write the program id and RPC URL into this node data directory's config.json.", valueName: "datadir"))
    var configDirectory: String?

    /// The program file: --program, else programs/out/paychannel.so of the repository.
    func programPath() throws -> String {
        if let program { return program }
        return try RepositoryFiles.locate(given: repo) + "/programs/out/paychannel.so"
    }

    func run() throws {
        let dir = global.dataDirectory
        let payer = try dir.loadIdentity()
        let path = try programPath()
        guard let elf = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read \(path); build it with programs/build (./bootstrap does)")
        }
        if ProgramBuild(elf: Array(elf)) != .paychannel {
            Output.note("warning: \(path) is not this version's build of the payment-channel program (\(ProgramBuild.paychannel)); payees of this version will refuse vouchers through it")
        }
        // Refuse a config.json we could not update before anything is spent on chain.
        let nodeConfig = try configDirectory.map { try NodeConfigFile(directory: $0) }
        var config = try chain.config(dir)
        let rpc = try SolanaRPC(config: config)
        let deployer = ProgramDeployer(rpc: rpc)
        let id: Address
        if upgrade {
            guard let configured = config.programId else { throw CLIError("--upgrade needs the program id (--program-id or a chain.json from an earlier deploy)") }
            guard programKeypair == nil else { throw ValidationError("--program-keypair is for a new deployment, not --upgrade") }
            id = configured
            try blocking {
                try await deployer.upgrade(program: id, elf: Array(elf), authority: payer) { done, total in
                    Output.note("upgrade: wrote \(done)/\(total) pieces")
                }
            }
        } else {
            let programKey = try programKeypair.map { try KeyFile.load(path: $0) } ?? KeyPair.generate()
            id = try blocking {
                let needed = try await deployer.rentNeeded(programSize: elf.count)
                let have = try await rpc.balance(payer.address)
                if have < needed {
                    throw CLIError("\(payer.address) has \(formatSol(have)); deploying needs about \(formatSol(needed)) plus fees (nodectl chain airdrop on a test network)")
                }
                Output.note("deploy: \(elf.count) bytes in \((elf.count + UpgradeableLoader.writeChunkSize - 1) / UpgradeableLoader.writeChunkSize) pieces to \(rpc.config.rpcURL)")
                return try await deployer.deploy(elf: Array(elf), payer: payer, programKey: programKey) { done, total in
                    Output.note("deploy: wrote \(done)/\(total) pieces")
                }
            }
            config.programId = id
            try ChainFile(rpcURL: config.rpcURL, programId: id.base58).save(dir)
        }
        if final {
            try blocking { try await deployer.makeFinal(program: id, authority: payer) }
        }
        try nodeConfig?.setProgram(id, rpcURL: config.rpcURL)
        if global.json {
            struct Out: Encodable { let programId: String, rpcURL: String, bytes: Int, upgraded: Bool, final: Bool, config: String? }
            Output.json(Out(programId: id.base58, rpcURL: config.rpcURL, bytes: elf.count, upgraded: upgrade, final: final,
                            config: nodeConfig?.path))
        } else {
            print(id.base58)
            Output.note(upgrade ? "program upgraded (\(elf.count) bytes)"
                                : "program deployed (\(elf.count) bytes); id saved in \(ChainFile.path(dir))")
            if final { Output.note("program is final: no one can upgrade it any more") }
            if let nodeConfig { Output.note("programId and chainRPC written to \(nodeConfig.path)") }
        }
    }
}

struct ChainAirdrop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "airdrop", abstract: "Ask a local or test network for lamports (to the node's identity by default).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var chain: ChainOptions

    @Option(name: .long, help: "Amount in SOL.") var sol: Double?
    @Option(name: .long, help: "Amount in lamports.") var lamports: UInt64?
    @Option(name: .long, help: ArgumentHelp("Recipient (default: the node's address).", valueName: "address"))
    var to: String?

    func run() throws {
        let dir = global.dataDirectory
        let amount: UInt64
        switch (sol, lamports) {
        case (let s?, nil):
            guard s > 0, s <= 1_000_000 else { throw ValidationError("--sol must be in 0...1000000") }
            amount = UInt64((s * Double(WellKnown.lamportsPerSol)).rounded())
        case (nil, let l?):
            guard l > 0 else { throw ValidationError("--lamports must be positive") }
            amount = l
        case (nil, nil): amount = WellKnown.lamportsPerSol
        default: throw ValidationError("give --sol or --lamports, not both")
        }
        let target = try to.map { try parseAddress($0, "--to") } ?? dir.loadIdentity().address
        let rpc = try SolanaRPC(config: try chain.config(dir))
        let balance = try blocking {
            try await rpc.confirm(try await rpc.requestAirdrop(target, lamports: amount))
            return try await rpc.balance(target)
        }
        if global.json {
            Output.json(AccountBalance(address: target.base58, lamports: balance))
        } else {
            print("\(target.base58): \(balance) lamports (\(formatSol(balance)))")
        }
    }
}

struct BalanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance", abstract: "Print an account's balance on the chain (the node's by default).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var chain: ChainOptions

    @Argument(help: ArgumentHelp("Address (default: the node's).", valueName: "address"))
    var address: String?

    func run() throws {
        let dir = global.dataDirectory
        let target = try address.map { try parseAddress($0, "address") } ?? dir.loadIdentity().address
        let rpc = try SolanaRPC(config: try chain.config(dir))
        let lamports = try blocking { try await rpc.balance(target) }
        if global.json {
            Output.json(AccountBalance(address: target.base58, lamports: lamports))
        } else {
            print("\(target.base58): \(lamports) lamports (\(formatSol(lamports)))")
        }
    }
}

struct AccountBalance: Encodable {
    let address: String
    let lamports: UInt64
}
