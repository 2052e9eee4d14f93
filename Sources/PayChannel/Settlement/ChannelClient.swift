import Identity

/// The payment-channel program from the node's side: open, top up, extend,
/// claim and close channels, and read their state. Every call builds a
/// standard transaction, sends it and waits for confirmation.
public struct ChannelClient: Sendable {
    public let rpc: SolanaRPC
    public let program: ChannelProgram

    public init(rpc: SolanaRPC, programId: Address) {
        self.rpc = rpc
        self.program = ChannelProgram(id: programId)
    }

    public init(config: ChainConfig, poster: any HTTPPoster = CurlPoster()) throws(ChainError) {
        guard let id = config.programId else {
            throw .config("no payment-channel program id (deploy it with `nodectl chain deploy` and set it)")
        }
        self.init(rpc: try SolanaRPC(config: config, poster: poster), programId: id)
    }

    /// A random channel id: ids must never be reused for the same payer and payee.
    public static func newChannelId() -> UInt64 { UInt64.random(in: 1...UInt64.max) }

    public func channelAddress(payer: Address, payee: Address, channelId: UInt64) -> Address {
        program.channelAddress(payer: payer, payee: payee, channelId: channelId)
    }

    /// Opens a channel; returns its address, its opening (the slot the
    /// program recorded, which every voucher on it names) and the
    /// transaction signature.
    public func open(payer: KeyPair, payee: Address, channelId: UInt64, deposit: UInt64,
                     expiry: Int64) async throws(ChainError) -> (channel: Address, opening: UInt64, signature: String) {
        let ix = program.open(payer: payer.address, payee: payee, channelId: channelId, deposit: deposit, expiry: expiry)
        let sig = try await rpc.sendAndConfirm([ix], feePayer: payer)
        let channel = channelAddress(payer: payer.address, payee: payee, channelId: channelId)
        guard let state = try await state(channel) else { throw .accountNotFound(channel) }
        return (channel, state.opening, sig)
    }

    @discardableResult
    public func topUp(payer: KeyPair, channel: Address, amount: UInt64) async throws(ChainError) -> String {
        try await rpc.sendAndConfirm([program.topUp(payer: payer.address, channel: channel, amount: amount)],
                                     feePayer: payer)
    }

    @discardableResult
    public func extend(payer: KeyPair, channel: Address, expiry: Int64) async throws(ChainError) -> String {
        try await rpc.sendAndConfirm([program.extend(payer: payer.address, channel: channel, expiry: expiry)],
                                     feePayer: payer)
    }

    /// Settles a voucher: the payee receives its amount minus what was
    /// already claimed. `feePayer` may be the payee or anyone else.
    @discardableResult
    public func claim(_ voucher: SignedVoucher, payee: Address, feePayer: KeyPair) async throws(ChainError) -> String {
        try await rpc.sendAndConfirm(program.claimInstructions(voucher, payee: payee), feePayer: feePayer)
    }

    /// Closes the channel: the payee any time, the payer after expiry. The
    /// rest of the deposit and the rent go to the payer.
    @discardableResult
    public func close(authority: KeyPair, channel: Address) async throws(ChainError) -> String {
        guard let state = try await state(channel) else { throw .accountNotFound(channel) }
        return try await rpc.sendAndConfirm([program.close(authority: authority.address, channel: channel,
                                                           payer: state.payer)], feePayer: authority)
    }

    /// Open channels where `address` is the payer (or the payee), from the chain.
    public func channels(payer address: Address) async throws(ChainError) -> [(Address, ChannelState)] {
        try await channels(matching: .memcmp(offset: 8, bytes: address.bytes))
    }

    public func channels(payee address: Address) async throws(ChainError) -> [(Address, ChannelState)] {
        try await channels(matching: .memcmp(offset: 40, bytes: address.bytes))
    }

    func channels(matching filter: SolanaRPC.AccountFilter) async throws(ChainError) -> [(Address, ChannelState)] {
        let found = try await rpc.programAccounts(program.id, filters: [.dataSize(ChannelState.size), filter])
        return found.compactMap { address, info in
            (try? ChannelState(decoding: info.data)).map { (address, $0) }
        }.sorted { $0.0 < $1.0 }
    }

    /// The channel's on-chain state, or nil when no channel lives there
    /// (never opened, closed, or only lamports sent to the address).
    public func state(_ channel: Address) async throws(ChainError) -> ChannelState? {
        try decodeState(channel, try await rpc.accountInfo(channel))
    }

    /// The chain's clock, unix seconds (the Clock sysvar: what the program checks expiry against).
    public func now() async throws(ChainError) -> Int64 { try await rpc.clock() }

    /// The channel's state (nil when closed or never opened) and the chain's
    /// clock, read in one call.
    public func stateAndClock(_ channel: Address) async throws(ChainError) -> (state: ChannelState?, now: Int64) {
        let accounts = try await rpc.multipleAccounts([channel, WellKnown.clockSysvar])
        return (try decodeState(channel, accounts[0]), try SolanaRPC.unixTimestamp(fromClock: accounts[1]))
    }

    func decodeState(_ channel: Address, _ info: AccountInfo?) throws(ChainError) -> ChannelState? {
        // Lamports someone sent to the address before the open are no channel
        // (`open` takes such an address over).
        guard let info, info.owner != SystemProgram.id else { return nil }
        guard info.owner == program.id else {
            throw .badResponse(method: "getAccountInfo", reason: "\(channel) is owned by \(info.owner), not the channel program \(program.id)")
        }
        do { return try ChannelState(decoding: info.data) } catch { throw .encoding(error) }
    }
}
