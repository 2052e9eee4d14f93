import Foundation
import Identity
import PayChannel
import Solana
import TestSupport
import Testing

/// nodectl's chain and channel commands as an operator runs them, against
/// the shared localnet: deploy through the loader, airdrop, open, sign a
/// voucher, claim it, close; balances to the lamport.
@Suite(.timeLimit(.minutes(5))) struct ChainCommandTests {
    let dir = NSTemporaryDirectory() + "nodectl-chain-\(UUID().uuidString)"

    func nodectl(_ node: String, _ args: [String], url: String) throws -> NodectlProcess.Result {
        let r = try NodectlProcess.run(args + ["--data-dir", dir + "/" + node, "--rpc-url", url])
        return r
    }

    @Test func deployOpenVoucherClaimClose() async throws {
        let net = try await Localnet.shared.start()
        let url = net.url
        let elf = try Localnet.programBytes()
        let soPath = Localnet.repositoryRoot.appendingPathComponent("programs/out/paychannel.so").path
        #expect(elf.count > 0)
        #expect(try NodectlProcess.run(["init", "--data-dir", dir + "/payer"]).status == 0)
        #expect(try NodectlProcess.run(["init", "--data-dir", dir + "/payee"]).status == 0)
        let payee = try NodectlProcess.run(["id", "--data-dir", dir + "/payee"]).text

        let drop = try nodectl("payer", ["chain", "airdrop", "--sol", "5", "--json"], url: url)
        #expect(drop.status == 0, "\(drop.stderr)")
        #expect(try drop.json()["lamports"] as? Int == 5_000_000_000)
        #expect(try nodectl("payee", ["chain", "airdrop", "--lamports", "1000000000"], url: url).status == 0)

        let deploy = try nodectl("payer", ["chain", "deploy", "--program", soPath, "--json"], url: url)
        #expect(deploy.status == 0, "\(deploy.stderr)")
        let programId = try #require(try deploy.json()["programId"] as? String)
        #expect(deploy.stderr.contains("wrote"))

        let upgraded = try nodectl("payer", ["chain", "deploy", "--program", soPath, "--upgrade", "--json"], url: url)
        #expect(upgraded.status == 0, "\(upgraded.stderr)")
        #expect(try upgraded.json()["programId"] as? String == programId)
        #expect(try nodectl("payee", ["chain", "deploy", "--program", soPath, "--upgrade", "--program-id", programId], url: url).status != 0)
        // Made final: the loader refuses any further upgrade, and a payee's check passes.
        let final = try nodectl("payer", ["chain", "deploy", "--program", soPath, "--upgrade", "--final", "--json"], url: url)
        #expect(final.status == 0, "\(final.stderr)")
        #expect(try final.json()["final"] as? Bool == true)
        let check = ProgramCheck(rpc: net.rpc)
        #expect(try await check.deployed(try Address(base58: programId)).upgradeAuthority == nil)
        #expect(try await check.distrust(try Address(base58: programId), ProgramTrust()) == nil)
        let again = try nodectl("payer", ["chain", "deploy", "--program", soPath, "--upgrade"], url: url)
        #expect(again.status != 0 && again.stderr.contains("can no longer be upgraded"), "\(again.stderr)")

        let open = try nodectl("payer", ["channel", "open", "--payee", payee, "--deposit", "2000000",
                                         "--expires-in", "3600", "--json"], url: url)
        #expect(open.status == 0, "\(open.stderr)")
        let channel = try #require(try open.json()["channel"] as? String)
        #expect(try open.json()["deposit"] as? Int == 2_000_000)

        let list = try nodectl("payer", ["channel", "list", "--json"], url: url)
        #expect(list.status == 0, "\(list.stderr)")
        let paying = try #require(try list.json()["paying"] as? [[String: Any]])
        #expect(paying.map { $0["channel"] as? String } == [channel])
        let paidList = try nodectl("payee", ["channel", "list", "--program-id", programId], url: url)
        #expect(paidList.text.contains("paid from 1 channel(s)"))

        let voucher = try nodectl("payer", ["channel", "voucher", channel, "--amount", "750000", "--sequence", "1"], url: url)
        #expect(voucher.status == 0)
        let voucherFile = dir + "/v1.json"
        FileManager.default.createFile(atPath: voucherFile, contents: voucher.stdout)

        let payeeBefore = try await net.rpc.balance(try Address(base58: payee))
        // The payee's node has no chain.json: the program id comes from the option.
        let claim = try nodectl("payee", ["channel", "claim", "--voucher", voucherFile, "--program-id", programId, "--json"], url: url)
        #expect(claim.status == 0, "\(claim.stderr)")
        #expect(try claim.json()["claimed"] as? Int == 750_000)
        #expect(try await net.rpc.balance(try Address(base58: payee)) == payeeBefore + 750_000 - 2 * WellKnown.lamportsPerSignature)

        // The same voucher again is refused, with the reason.
        let replay = try nodectl("payee", ["channel", "claim", "--voucher", voucherFile, "--program-id", programId], url: url)
        #expect(replay.status != 0)
        #expect(replay.stderr.contains("not newer"))

        // The payer may not close before expiry; the payee may.
        let early = try nodectl("payer", ["channel", "close", channel], url: url)
        #expect(early.status != 0)
        #expect(early.stderr.contains("not expired"))
        #expect(try nodectl("payee", ["channel", "close", channel, "--program-id", programId], url: url).status == 0)
        let gone = try nodectl("payer", ["channel", "show", channel], url: url)
        #expect(gone.status != 0)
        #expect(gone.stderr.contains("no open channel"))

        let plain = try nodectl("payee", ["balance"], url: url)
        #expect(plain.text.hasPrefix(payee + ": ") && plain.text.hasSuffix(" SOL)"), "\(plain.text)")
        let balance = try nodectl("payee", ["balance", "--json"], url: url)
        #expect(try balance.json()["lamports"] as? Int == Int(payeeBefore) + 750_000 - 3 * Int(WellKnown.lamportsPerSignature))
        // Bad input is an error, not a crash.
        #expect(try nodectl("payer", ["balance", "not-an-address"], url: url).status != 0)
        #expect(try nodectl("payer", ["channel", "show", channel, "--rpc-url", "ftp://nowhere"], url: url).status != 0)
    }

    /// `chain deploy` run from an unrelated directory finds the program as
    /// the demo does, makes it final, and writes the id into a node's
    /// config.json (keeping what the operator wrote there).
    @Test func deployFromAnyDirectoryFinalAndIntoANodesConfig() async throws {
        let net = try await Localnet.shared.start()
        let url = net.url
        _ = try Localnet.programBytes()   // programs/out/paychannel.so built
        #expect(try NodectlProcess.run(["init", "--data-dir", dir + "/operator"]).status == 0)
        #expect(try NodectlProcess.run(["init", "--data-dir", dir + "/node"]).status == 0)
        FileManager.default.createFile(atPath: dir + "/node/config.json", contents: Data(#"{"apiPort": 7391}"#.utf8))
        #expect(try nodectl("operator", ["chain", "airdrop", "--sol", "5"], url: url).status == 0)
        let elsewhere = NSTemporaryDirectory()

        // Bad input first: nothing is deployed (the operator's balance does not move).
        let operatorAddress = try Address(base58: try NodectlProcess.run(["id", "--data-dir", dir + "/operator"]).text)
        let before = try await net.rpc.balance(operatorAddress)
        let noDir = try NodectlProcess.run(["chain", "deploy", "--config", dir + "/nowhere", "--data-dir", dir + "/operator",
                                            "--rpc-url", url], directory: elsewhere)
        #expect(noDir.status != 0 && noDir.stderr.contains("no such data directory"), "\(noDir.stderr)")
        let noFile = try NodectlProcess.run(["chain", "deploy", "--program", dir + "/missing.so", "--data-dir", dir + "/operator",
                                             "--rpc-url", url], directory: elsewhere)
        #expect(noFile.status != 0 && noFile.stderr.contains("cannot read"), "\(noFile.stderr)")
        #expect(try await net.rpc.balance(operatorAddress) == before)

        let deploy = try NodectlProcess.run(["chain", "deploy", "--final", "--config", dir + "/node", "--json",
                                             "--data-dir", dir + "/operator", "--rpc-url", url], directory: elsewhere)
        #expect(deploy.status == 0, "\(deploy.stderr)")
        #expect(!deploy.stderr.contains("warning"), "\(deploy.stderr)")
        let out = try deploy.json()
        let programId = try #require(out["programId"] as? String)
        #expect(out["final"] as? Bool == true)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/node/config.json"))) as? [String: Any]
        #expect(config?["programId"] as? String == programId)
        #expect(config?["chainRPC"] as? String == url)
        #expect(config?["apiPort"] as? Int == 7391)

        // Final: the loader says no one may upgrade it, and a payee's check agrees.
        let check = ProgramCheck(rpc: net.rpc)
        #expect(try await check.deployed(try Address(base58: programId)).upgradeAuthority == nil)
        #expect(try await check.distrust(try Address(base58: programId), ProgramTrust()) == nil)
        let upgrade = try nodectl("operator", ["chain", "deploy", "--upgrade", "--program-id", programId], url: url)
        #expect(upgrade.status != 0 && upgrade.stderr.contains("can no longer be upgraded"), "\(upgrade.stderr)")

        // A config.json that is not JSON is refused before anything is spent.
        FileManager.default.createFile(atPath: dir + "/node/config.json", contents: Data("{not json".utf8))
        let spent = try await net.rpc.balance(operatorAddress)
        let broken = try nodectl("operator", ["chain", "deploy", "--config", dir + "/node"], url: url)
        #expect(broken.status != 0 && broken.stderr.contains("not a JSON object"), "\(broken.stderr)")
        #expect(try await net.rpc.balance(operatorAddress) == spent)
    }
}
