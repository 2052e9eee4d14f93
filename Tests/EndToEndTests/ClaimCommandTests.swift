import Foundation
import Identity
import LMDB
import PayChannel
import Solana
import TestSupport
import Testing

/// `nodectl claim` against a daemon paid on a real channel: it says which
/// claims failed and exits non-zero when any did (issue 17 §3: it exited 0
/// when every claim failed while the RPC was down).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ClaimCommandTests {
    /// Rewrites one field of the daemon's config.json (it reads it at start).
    static func setConfig(_ daemon: DaemonProcess, _ key: String, _ value: Any) throws {
        let path = daemon.dataDir + "/config.json"
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
        config[key] = value
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
    }

    @Test func claimExitsNonZeroWhenAClaimFailedAndZeroOnceItIsMade() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let rpc = deployed.net.rpc
        let scratch = try Scratch("claim")
        let payee = try DaemonProcess(name: "payee", in: scratch,
                                      config: ["programId": deployed.programId.base58, "chainRPC": deployed.net.url,
                                               "claimInterval": 3600.0])
        let payeeAddress = try Address(base58: payee.address)
        let payer = KeyPair.generate()
        try await rpc.confirm(try await rpc.requestAirdrop(payer.address, lamports: WellKnown.lamportsPerSol))
        try await rpc.confirm(try await rpc.requestAirdrop(payeeAddress, lamports: WellKnown.lamportsPerSol))
        let opened = try await deployed.client.open(payer: payer, payee: payeeAddress, channelId: ChannelClient.newChannelId(),
                                                    deposit: 1_000_000, expiry: try await deployed.client.now() + 86_400)
        let voucher = Voucher(channel: opened.channel, opening: opened.opening, amount: 250_000, sequence: 1).signed(by: payer)

        // The voucher goes into the payee's own book, as its collector records one.
        payee.stop()
        do {
            let book = try VoucherBook(environment: try LMDBEnvironment(directory: payee.dataDir + "/payments"))
            let terms = ChannelTerms(channel: opened.channel, opening: opened.opening, payer: payer.address,
                                     payee: payeeAddress, deposit: 1_000_000)
            #expect(try book.accept(voucher, terms: terms) == 250_000)
        }

        // The chain unreachable: every claim fails, and nodectl says so with its exit status.
        try Self.setConfig(payee, "chainRPC", "http://127.0.0.1:\(try Localnet.freePort())")
        try payee.restart()
        let down = try NodectlProcess.run(["claim", "--data-dir", payee.dataDir])
        #expect(down.status == 1, "\(down.stderr)")
        #expect(down.text.contains("failed:") && down.text.contains(opened.channel.base58))
        #expect(down.stderr.contains("1 of 1 claim(s) failed"))
        let downJSON = try NodectlProcess.run(["claim", "--json", "--data-dir", payee.dataDir])
        #expect(downJSON.status == 1)
        let listed = try downJSON.decode(as: [Claim].self)
        #expect(listed.count == 1 && !(listed.first?.error ?? "").isEmpty)
        #expect(try await deployed.client.state(opened.channel)?.claimed == 0)
        payee.stop()

        // The chain back: the claim is made, to the lamport, and nodectl exits 0.
        try Self.setConfig(payee, "chainRPC", deployed.net.url)
        try payee.restart()
        let balance0 = try await rpc.balance(payeeAddress)
        let up = try NodectlProcess.run(["claim", "--data-dir", payee.dataDir])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.text.contains("claimed 250000"))
        #expect(try await deployed.client.state(opened.channel)?.claimed == 250_000)
        #expect(try await rpc.balance(payeeAddress) == balance0 + 250_000 - 2 * WellKnown.lamportsPerSignature)
        let again = try NodectlProcess.run(["claim", "--data-dir", payee.dataDir])
        #expect(again.status == 0 && again.text.contains("nothing to claim"))
        payee.stop()
    }
}
