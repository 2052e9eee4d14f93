import Crypto
import Identity
import Solana

/// A build of the payment-channel program: its size and SHA-256.
public struct ProgramBuild: Sendable, Equatable, CustomStringConvertible {
    public var size: Int
    public var sha256: [UInt8]

    public init(size: Int, sha256: [UInt8]) {
        self.size = size
        self.sha256 = sha256
    }

    public init(elf: [UInt8]) { self.init(size: elf.count, sha256: Array(SHA256.hash(data: elf))) }

    /// The build of programs/paychannel.c in this source tree. programs/build
    /// is deterministic (the same bytes from the toolchain's clang in any
    /// folder), so a payee can tell this program from any other code at the
    /// program id. A test checks it against programs/out/paychannel.so:
    /// change it with the program.
    public static let paychannel = ProgramBuild(
        size: 15_352, sha256: hex("1b154def68248f94b79c86b270ba4e18bf844c008ef122d4347f5ad81d178032"))

    public var description: String { "\(size) bytes, sha256 \(sha256.map { String(format: "%02x", $0) }.joined())" }

    static func hex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(text.utf8)[...]
        while chars.count >= 2, let byte = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) {
            out.append(byte)
            chars = chars.dropFirst(2)
        }
        return out
    }
}

/// What a payee requires of the program it is paid through (issue 17): its
/// upgrade authority could replace the code and drain every channel, so the
/// program must be the expected build and final (no upgrade authority), or
/// upgradeable only by an authority the operator trusts.
public struct ProgramTrust: Sendable, Equatable {
    /// The build the code at the program id must be; nil accepts any code
    /// (only for developing the program itself).
    public var expected: ProgramBuild?
    /// Upgrade authorities trusted besides none at all (the operator's own
    /// deployer key, say). Default: none.
    public var trustedUpgradeAuthorities: [Address]

    public init(expected: ProgramBuild? = .paychannel, trustedUpgradeAuthorities: [Address] = []) {
        self.expected = expected
        self.trustedUpgradeAuthorities = trustedUpgradeAuthorities
    }
}

/// Reads a program's code and upgrade authority from the chain.
public struct ProgramCheck: Sendable {
    public let rpc: SolanaRPC

    public init(rpc: SolanaRPC) { self.rpc = rpc }

    /// What is deployed at `program`: its programdata account's bytes after
    /// the loader's header (the code, then zeros up to the room reserved for
    /// upgrades) and its upgrade authority.
    public struct Deployed: Sendable, Equatable {
        public var code: [UInt8]
        public var upgradeAuthority: Address?
    }

    public func deployed(_ program: Address) async throws(ChainError) -> Deployed {
        // Both accounts in one call: a payee checks before its first voucher.
        let dataAddress = UpgradeableLoader.programDataAddress(program: program)
        let accounts = try await rpc.multipleAccounts([program, dataAddress])
        guard let account = accounts[0] else { throw .accountNotFound(program) }
        guard account.owner == UpgradeableLoader.id, account.executable,
              Array(account.data) == [2, 0, 0, 0] + dataAddress.bytes else {
            throw .config("\(program) is not a program of the upgradeable loader")
        }
        guard let data = accounts[1], data.owner == UpgradeableLoader.id else {
            throw .config("\(program)'s programdata account \(dataAddress) is missing")
        }
        let bytes = Array(data.data)
        let authority: Address?
        do { authority = try UpgradeableLoader.upgradeAuthority(programData: bytes) } catch { throw .encoding(error) }
        return Deployed(code: Array(bytes[Int(UpgradeableLoader.programDataMetadataSize)...]), upgradeAuthority: authority)
    }

    /// Why the program at `program` is not to be trusted under `trust`, or nil when it is.
    public func distrust(_ program: Address, _ trust: ProgramTrust,
                         deployed given: Deployed? = nil) async throws(ChainError) -> String? {
        let found: Deployed
        if let given { found = given } else { found = try await deployed(program) }
        if let expected = trust.expected {
            // The programdata account has room beyond the code (for upgrades): zeros.
            let code = found.code
            guard code.count >= expected.size, ProgramBuild(elf: Array(code[..<expected.size])) == expected,
                  code[expected.size...].allSatisfy({ $0 == 0 }) else {
                return "the code at \(program) is not the expected build of the payment-channel program (\(expected))"
            }
        }
        if let authority = found.upgradeAuthority, !trust.trustedUpgradeAuthorities.contains(authority) {
            return "\(program) can still be upgraded by \(authority), who could replace its code and take every channel's deposit; trust that key in config (trustedUpgradeAuthorities) or use a final program (nodectl chain deploy --final)"
        }
        return nil
    }
}
