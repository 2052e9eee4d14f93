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
    /// (a key pair file); by default a fresh one is made.
    public func deploy(elf: [UInt8], payer: KeyPair, programKey: KeyPair = .generate(),
                       progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(ChainError) -> Address {
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
        var pending: [String] = []
        let total = (elf.count + loader.writeChunkSize - 1) / loader.writeChunkSize
        var done = 0
        while offset < elf.count {
            let end = min(offset + loader.writeChunkSize, elf.count)
            let ix = loader.write(buffer: buffer.address, authority: payer.address, offset: UInt32(offset),
                                  bytes: Array(elf[offset..<end]))
            let tx = try await rpc.transaction([ix], feePayer: payer)
            pending.append(try await rpc.send(tx))
            offset = end
            done += 1
            progress?(done, total)
        }
        for sig in pending { try await rpc.confirm(sig) }

        let programRent = try await rpc.minimumBalanceForRentExemption(Int(loader.programAccountSize))
        try await rpc.sendAndConfirm([
            SystemProgram.createAccount(from: payer.address, to: programKey.address, lamports: programRent,
                                        space: loader.programAccountSize, owner: loader.id),
            loader.deployWithMaxDataLen(payer: payer.address, program: programKey.address, buffer: buffer.address,
                                        authority: payer.address, maxDataLen: UInt64(2 * elf.count)),
        ], feePayer: payer, signers: [programKey])
        return programKey.address
    }
}
