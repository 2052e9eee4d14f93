import ArgumentParser
import Foundation
import Identity
import PayChannel

struct ChannelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channel",
        abstract: "Open, fund, settle and close payment channels on chain (the node's identity signs).",
        subcommands: [ChannelOpen.self, ChannelTopUp.self, ChannelExtend.self, ChannelVoucher.self,
                      ChannelClaim.self, ChannelClose.self, ChannelShow.self, ChannelList.self])
}

/// A channel's state for people and for --json.
struct ChannelView: Encodable {
    let channel: String
    let payer: String
    let payee: String
    let channelId: UInt64
    /// The slot of this opening of the channel (0: opened by version 1 of the program).
    let opening: UInt64
    let expiry: Int64
    let deposit: UInt64
    let claimed: UInt64
    let sequence: UInt64
    /// Lamports the account holds (deposit - claimed + rent), when read.
    let lamports: UInt64?

    init(_ address: Address, _ s: ChannelState, lamports: UInt64?) {
        channel = address.base58
        payer = s.payer.base58
        payee = s.payee.base58
        channelId = s.channelId
        opening = s.opening
        expiry = s.expiry
        deposit = s.deposit
        claimed = s.claimed
        sequence = s.sequence
        self.lamports = lamports
    }

    func printText() {
        let date = Date(timeIntervalSince1970: TimeInterval(expiry))
        print("""
        channel   \(channel)
        payer     \(payer)
        payee     \(payee)
        id        \(channelId)
        opening   \(opening)
        expiry    \(expiry) (\(date))
        deposit   \(deposit) lamports
        claimed   \(claimed) lamports (last voucher sequence \(sequence))
        remaining \(deposit >= claimed ? deposit - claimed : 0) lamports
        """)
    }
}

/// A signed voucher as a file: what a payer hands a payee.
struct VoucherFile: Codable {
    let channel: String
    /// The channel's opening the voucher pays on; absent in files of
    /// version-1 vouchers (channels opened before openings existed).
    let opening: UInt64?
    let amount: UInt64
    let sequence: UInt64
    let payer: String
    let signature: String

    init(_ v: SignedVoucher) {
        channel = v.voucher.channel.base58
        opening = v.voucher.opening
        amount = v.voucher.amount
        sequence = v.voucher.sequence
        payer = v.payer.base58
        signature = Base58.encode(v.signature)
    }

    func signed() throws -> SignedVoucher {
        guard let sig = Base58.decode(signature), sig.count == 64 else { throw CLIError("the voucher's signature is not 64 base58 bytes") }
        let v = SignedVoucher(voucher: Voucher(channel: try parseAddress(channel, "voucher channel"), opening: opening ?? 0,
                                                       amount: amount, sequence: sequence),
                              payer: try parseAddress(payer, "voucher payer"), signature: sig)
        guard v.isValid else { throw CLIError("the voucher's signature does not verify for payer \(payer)") }
        return v
    }
}

func showChannel(_ client: ChannelClient, _ channel: Address, json: Bool) throws {
    let (state, lamports) = try blocking { () async throws -> (ChannelState?, UInt64) in
        (try await client.state(channel), try await client.rpc.balance(channel))
    }
    guard let state else { throw CLIError("no open channel at \(channel)") }
    let view = ChannelView(channel, state, lamports: lamports)
    if json { Output.json(view) } else { view.printText() }
}

struct ChannelOpen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open", abstract: "Open a channel to a payee with a deposit; prints the channel address.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var chain: ChainOptions
    @Option(name: .long, help: ArgumentHelp("The payee's address.", valueName: "address")) var payee: String
    @Option(name: .long, help: "Deposit in lamports.") var deposit: UInt64
    @Option(name: .long, help: "Seconds until the payer may take back what is unclaimed.") var expiresIn: Int64 = 7 * 86_400
    @Option(name: .long, help: "Channel id (default: random; never reuse one).") var id: UInt64?

    func run() throws {
        guard deposit > 0 else { throw ValidationError("--deposit must be positive") }
        guard expiresIn > 0, expiresIn <= 10 * 365 * 86_400 else { throw ValidationError("--expires-in must be 1 s ... 10 years") }
        let dir = global.dataDirectory
        let payer = try dir.loadIdentity()
        let payeeAddress = try parseAddress(payee, "--payee")
        let client = try chain.channelClient(dir)
        let channelId = id ?? ChannelClient.newChannelId()
        let expiry = Int64(Date().timeIntervalSince1970) + expiresIn
        let deposit = self.deposit
        let (channel, _, _) = try blocking {
            try await client.open(payer: payer, payee: payeeAddress, channelId: channelId, deposit: deposit, expiry: expiry)
        }
        if global.json { try showChannel(client, channel, json: true) } else { print(channel.base58) }
    }
}

struct ChannelTopUp: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top-up", abstract: "Add lamports to a channel's deposit (payer).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var chain: ChainOptions
    @Argument(help: ArgumentHelp("The channel address.", valueName: "channel")) var channel: String
    @Option(name: .long, help: "Lamports to add.") var amount: UInt64

    func run() throws {
        guard amount > 0 else { throw ValidationError("--amount must be positive") }
        let dir = global.dataDirectory
        let payer = try dir.loadIdentity()
        let address = try parseAddress(channel, "channel")
        let client = try chain.channelClient(dir)
        let amount = self.amount
        try blocking { try await client.topUp(payer: payer, channel: address, amount: amount) }
        try showChannel(client, address, json: global.json)
    }
}

struct ChannelExtend: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "extend", abstract: "Move a channel's expiry later (payer).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var chain: ChainOptions
    @Argument(help: ArgumentHelp("The channel address.", valueName: "channel")) var channel: String
    @Option(name: .long, help: "New expiry: this many seconds from now.") var expiresIn: Int64

    func run() throws {
        let dir = global.dataDirectory
        let payer = try dir.loadIdentity()
        let address = try parseAddress(channel, "channel")
        let client = try chain.channelClient(dir)
        let expiry = Int64(Date().timeIntervalSince1970) + expiresIn
        try blocking { try await client.extend(payer: payer, channel: address, expiry: expiry) }
        try showChannel(client, address, json: global.json)
    }
}

struct ChannelVoucher: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voucher", abstract: "Sign a voucher (payer): the cumulative amount the payee may claim. Prints it as JSON.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var chain: ChainOptions
    @Argument(help: ArgumentHelp("The channel address.", valueName: "channel")) var channel: String
    @Option(name: .long, help: "Cumulative amount in lamports.") var amount: UInt64
    @Option(name: .long, help: "Sequence number: the payer's running number for the books (the program orders vouchers by amount alone).") var sequence: UInt64

    func run() throws {
        let dir = global.dataDirectory
        let payer = try dir.loadIdentity()
        let address = try parseAddress(channel, "channel")
        let client = try chain.channelClient(dir)
        // A voucher names the channel's current opening, read from the chain.
        let state = try blocking { try await client.state(address) }
        guard let state else { throw CLIError("no open channel at \(address) on chain") }
        guard state.payer == payer.address else {
            throw CLIError("channel \(address) is paid by \(state.payer), not by this node (\(payer.address))")
        }
        let v = Voucher(channel: address, opening: state.opening, amount: amount, sequence: sequence).signed(by: payer)
        Output.json(VoucherFile(v))
    }
}

struct ChannelClaim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claim", abstract: "Settle a voucher on chain: the payee receives its amount minus what was already claimed.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var chain: ChainOptions
    @Option(name: .long, help: ArgumentHelp("The voucher JSON file (from `nodectl channel voucher`), - for stdin.", valueName: "file"))
    var voucher: String

    func run() throws {
        let dir = global.dataDirectory
        let feePayer = try dir.loadIdentity()
        let data: Data?
        if voucher == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else { data = FileManager.default.contents(atPath: voucher) }
        guard let data else { throw CLIError("cannot read the voucher file \(voucher)") }
        let file: VoucherFile
        do { file = try JSONDecoder().decode(VoucherFile.self, from: data) } catch {
            throw CLIError("\(voucher) is not a voucher file: \(error)")
        }
        let signed = try file.signed()
        let client = try chain.channelClient(dir)
        let channel = signed.voucher.channel
        let signature = try blocking { () async throws -> String in
            guard let state = try await client.state(channel) else { throw CLIError("no open channel at \(channel)") }
            guard state.payer == signed.payer else { throw CLIError("the voucher is signed by \(signed.payer), the channel's payer is \(state.payer)") }
            guard state.opening == signed.voucher.opening else {
                throw CLIError("the voucher is for opening \(signed.voucher.opening) of \(channel), but the channel on chain is opening \(state.opening) (closed and opened again): it cannot be claimed")
            }
            return try await client.claim(signed, payee: state.payee, feePayer: feePayer)
        }
        if !global.json { Output.note("claimed in transaction \(signature)") }
        try showChannel(client, channel, json: global.json)
    }
}

struct ChannelClose: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "close", abstract: "Close a channel: the payee any time, the payer after expiry; the rest goes to the payer.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var chain: ChainOptions
    @Argument(help: ArgumentHelp("The channel address.", valueName: "channel")) var channel: String

    func run() throws {
        let dir = global.dataDirectory
        let authority = try dir.loadIdentity()
        let address = try parseAddress(channel, "channel")
        let client = try chain.channelClient(dir)
        let signature = try blocking { try await client.close(authority: authority, channel: address) }
        if global.json {
            Output.json(["channel": address.base58, "signature": signature])
        } else {
            print("closed \(address.base58) in transaction \(signature)")
        }
    }
}

struct ChannelShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a channel's on-chain state.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var chain: ChainOptions
    @Argument(help: ArgumentHelp("The channel address.", valueName: "channel")) var channel: String

    func run() throws {
        let dir = global.dataDirectory
        try showChannel(try chain.channelClient(dir), try parseAddress(channel, "channel"), json: global.json)
    }
}

struct ChannelList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the open channels the node pays into and is paid from, read from the chain.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var chain: ChainOptions

    func run() throws {
        let dir = global.dataDirectory
        let me = try dir.loadIdentity().address
        let client = try chain.channelClient(dir)
        let (paying, paid) = try blocking { () async throws -> ([(Address, ChannelState)], [(Address, ChannelState)]) in
            (try await client.channels(payer: me), try await client.channels(payee: me))
        }
        if global.json {
            struct Out: Encodable { let paying: [ChannelView]; let paid: [ChannelView] }
            Output.json(Out(paying: paying.map { ChannelView($0.0, $0.1, lamports: nil) },
                            paid: paid.map { ChannelView($0.0, $0.1, lamports: nil) }))
            return
        }
        print("paying into \(paying.count) channel(s):")
        for (a, s) in paying { print("  \(a.base58)  to \(s.payee.base58)  deposit \(s.deposit)  claimed \(s.claimed)  expiry \(s.expiry)") }
        print("paid from \(paid.count) channel(s):")
        for (a, s) in paid { print("  \(a.base58)  from \(s.payer.base58)  deposit \(s.deposit)  claimed \(s.claimed)  expiry \(s.expiry)") }
    }
}
