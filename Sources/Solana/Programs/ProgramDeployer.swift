import Identity

/// Deploys a program the way a cluster's CLI does: through the upgradeable
/// loader with a buffer account, ~900-byte writes, then DeployWithMaxDataLen.
public struct ProgramDeployer: Sendable {
    public let rpc: SolanaRPC

    public init(rpc: SolanaRPC) { self.rpc = rpc }

    /// Lamports a deployment of `size` bytes needs beyond fees: the program
    /// account and the programdata account (room for twice the size, so the
    /// program can be upgraded in place); the buffer's rent comes back.
    public func rentNeeded(programSize size: Int) async throws(ChainError) -> UInt64 {
        let program = try await rpc.minimumBalanceForRentExemption(Int(UpgradeableLoader.programAccountSize))
        let data = try await rpc.minimumBalanceForRentExemption(
            Int(UpgradeableLoader.programDataMetadataSize) + 2 * size)
        return program + data
    }

    /// Deploys `elf` and returns the program id. `progress(done, total)` is
    /// called after each written piece. `programKey` fixes the program id
    /// (a key pair file); by default a fresh one is made. The payer becomes
    /// the upgrade authority.
    public func deploy(elf: [UInt8], payer: KeyPair, programKey: KeyPair = .generate(),
                       progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(ChainError) -> Address {
        let buffer = try await writeBuffer(elf: elf, payer: payer, progress: progress)
        let loader = UpgradeableLoader.self
        let programRent = try await rpc.minimumBalanceForRentExemption(Int(loader.programAccountSize))
        try await rpc.sendAndConfirm([
            SystemProgram.createAccount(from: payer.address, to: programKey.address, lamports: programRent,
                                        space: loader.programAccountSize, owner: loader.id),
            loader.deployWithMaxDataLen(payer: payer.address, program: programKey.address, buffer: buffer,
                                        authority: payer.address, maxDataLen: UInt64(2 * elf.count)),
        ], feePayer: payer, signers: [programKey])
        return programKey.address
    }

    /// Replaces the program at `program` with `elf` (the authority is the
    /// payer that deployed it). Accounts the program owns are untouched.
    public func upgrade(program: Address, elf: [UInt8], authority: KeyPair,
                        progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(ChainError) {
        let dataAddress = UpgradeableLoader.programDataAddress(program: program)
        guard let data = try await rpc.accountInfo(dataAddress), data.owner == UpgradeableLoader.id else {
            throw .config("\(program) is not a program of the upgradeable loader")
        }
        // ProgramData state: u32 tag 3, u64 slot, Option<Pubkey> upgrade authority.
        let d = data.data
        guard d.count >= 45, d[0] == 3 else { throw .config("\(program)'s programdata account is not in the loader's format") }
        guard d[12] == 1, Array(d[13..<45]) == authority.address.bytes else {
            throw .config(d[12] == 1 ? "\(authority.address) is not the upgrade authority of \(program)" : "\(program) can no longer be upgraded")
        }
        let room = data.data.count - Int(UpgradeableLoader.programDataMetadataSize)
        guard elf.count <= room else {
            throw .config("the new program is \(elf.count) bytes; \(program) has room for \(room) (deploy it anew)")
        }
        let buffer = try await writeBuffer(elf: elf, payer: authority, progress: progress)
        try await rpc.sendAndConfirm([UpgradeableLoader.upgrade(program: program, buffer: buffer, spill: authority.address,
                                                                authority: authority.address)], feePayer: authority)
    }

    /// Makes the program final: its upgrade authority (the deployer)
    /// gives up the right to replace the code, for good. Payees take
    /// vouchers only through a final program unless they trust the
    /// authority (ProgramTrust).
    public func makeFinal(program: Address, authority: KeyPair) async throws(ChainError) {
        try await rpc.sendAndConfirm([UpgradeableLoader.setAuthority(program: program, current: authority.address,
                                                                     newAuthority: nil)], feePayer: authority)
    }

    /// Creates a buffer owned by the loader and writes `elf` into it in
    /// ~900-byte pieces; returns the buffer's address.
    func writeBuffer(elf: [UInt8], payer: KeyPair,
                     progress: (@Sendable (Int, Int) -> Void)?) async throws(ChainError) -> Address {
        guard elf.count >= 64, elf.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else {
            throw .config("the program file is not an ELF shared object")
        }
        let buffer = KeyPair.generate()
        let loader = UpgradeableLoader.self
        let bufferSize = loader.bufferMetadataSize + UInt64(elf.count)
        let bufferRent = try await rpc.minimumBalanceForRentExemption(Int(bufferSize))
        try await rpc.sendAndConfirm([
            SystemProgram.createAccount(from: payer.address, to: buffer.address, lamports: bufferRent,
                                        space: bufferSize, owner: loader.id),
            loader.initializeBuffer(buffer: buffer.address, authority: payer.address),
        ], feePayer: payer, signers: [buffer])

        var offset = 0
        var pending: [(Transaction, UInt64)] = []
        let total = (elf.count + loader.writeChunkSize - 1) / loader.writeChunkSize
        var done = 0
        while offset < elf.count {
            let end = min(offset + loader.writeChunkSize, elf.count)
            let ix = loader.write(buffer: buffer.address, authority: payer.address, offset: UInt32(offset),
                                  bytes: Array(elf[offset..<end]))
            let (tx, lastValid) = try await rpc.expiringTransaction([ix], feePayer: payer)
            _ = try await rpc.send(tx)
            pending.append((tx, lastValid))
            offset = end
            done += 1
            progress?(done, total)
        }
        for (tx, lastValid) in pending { try await rpc.confirm(tx, lastValidBlockHeight: lastValid) }
        return buffer.address
    }
}
