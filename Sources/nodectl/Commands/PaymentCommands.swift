import ArgumentParser
import Foundation
import NetworkLab
import PayChannel
import PeerNode

/// The daemon's money: tips, chat, earnings, channels and claims (docs/payments.md).

struct TipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tip",
        abstract: "Pay a stream's creator a tip; with --message it appears in the stream's chat, highlighted.",
        discussion: """
        The tip is a voucher on this node's channel to the creator (opened on demand). The creator's node \
        answers with a signed receipt; the chat line carries it, so every node can check the tip before \
        highlighting it. A tip of at least the stream's pin price also pins the line for a while.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The stream, CREATOR/NAME.") var stream: String
    @Argument(help: "Lamports.") var amount: UInt64
    @Option(help: "A chat line to go with the tip.") var message: String?

    func run() throws {
        let stream = try StreamArgument.parse(self.stream)
        let client = try NodeClient(dataDirectory: global.dataDirectory)
        let data = try client.call("POST", "/v1/tip", json: APIServer.TipRequest(stream: stream, amount: amount, message: message))
        if global.json { printRaw(data); return }
        let tip = try NodeClient.decode(data, "/v1/tip", as: NodePayments.TipResult.self)
        print("tipped \(tip.amount) lamports to \(stream) (the creator acknowledged \(tip.accepted))")
        if message != nil { print("chat line sent with the creator's receipt") }
    }
}

struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat", abstract: "Read a stream's chat, or say something in it.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The stream, CREATOR/NAME.") var stream: String
    @Option(help: "Send this line instead of reading.") var say: String?
    @Option(help: "Lines to show.") var limit = 50

    func run() throws {
        let stream = try StreamArgument.parse(self.stream)
        let client = try NodeClient(dataDirectory: global.dataDirectory)
        if let say {
            let data = try client.call("POST", "/v1/chat/\(stream)", json: APIServer.ChatRequest(text: say))
            if global.json { printRaw(data) }
            return
        }
        let data = try client.call("GET", "/v1/chat/\(stream)?limit=\(limit)")
        if global.json { printRaw(data); return }
        let chat = try NodeClient.decode(data, "/v1/chat/\(stream)", as: PeerNode.Chat.self)
        for line in chat.pinned {
            print("📌 \(short(line.author))  [tip \(line.tip ?? 0)]  \(line.text)")
        }
        for line in chat.lines {
            let tip = line.tip.map { "  [tip \($0)]" } ?? ""
            print("\(short(line.author))\(tip)  \(line.text)")
        }
    }
}

struct EarningsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "earnings",
        abstract: "What this node earned: per stream and per peer, off chain (vouchers), claimed on chain, pending.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let data = try NodeClient(dataDirectory: global.dataDirectory).call("GET", "/v1/earnings")
        if global.json { printRaw(data); return }
        let report = try NodeClient.decode(data, "/v1/earnings", as: EarningsReport.self)
        func row(_ name: String, _ f: EarningsReport.Figures) {
            print(pad(name, 50) + pad("\(f.earned)", 14) + pad("\(f.claimed)", 14) + "\(f.pending)")
        }
        print(pad("", 50) + pad("earned", 14) + pad("claimed", 14) + "pending")
        row("total", report.totals)
        row("chunks served", report.chunks)
        for (stream, f) in report.byStream.sorted(by: { $0.key < $1.key }) { row("stream " + stream, f) }
        for (peer, f) in report.byPeer.sorted(by: { $0.key < $1.key }) { row("from " + peer, f) }
    }
}

struct ChannelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channels",
        abstract: "The daemon's payment channels: deposit, spent, claimed and expiry, both ways.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let data = try NodeClient(dataDirectory: global.dataDirectory).call("GET", "/v1/channels")
        if global.json { printRaw(data); return }
        let channels = try NodeClient.decode(data, "/v1/channels", as: PeerNode.Channels.self)
        let out = channels.outgoing, inc = channels.incoming
        print("paying into \(out.count) channel(s):")
        for c in out {
            print("  \(c.address.base58)  to \(short(c.payee.base58))  deposit \(c.deposit)  spent \(c.spent)  claimed \(c.claimed.map { "\($0)" } ?? "?")  expiry \(c.expiry)")
        }
        print("paid on \(inc.count) channel(s):")
        for c in inc {
            // The fields in name order, as the answer's keys are sorted.
            let fields = ["amount \(c.amount)", "claimed \(c.claimed)", "pending \(c.pending)", "sequence \(c.sequence)"]
            print("  \(c.channel.base58)  from \(short(c.payer.base58))  " + fields.joined(separator: "  "))
        }
    }
}

struct ClaimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claim",
        abstract: "Settle every channel this node is paid on, now, whatever the fee (the daemon otherwise claims when the fee is at most 1%).",
        discussion: "Exits 1 when any claim failed (the daemon tries it again later; the vouchers stay in its book).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        Output.note("claiming on chain...")
        let data = try NodeClient(dataDirectory: global.dataDirectory).call("POST", "/v1/claim")
        guard let list = try? JSONDecoder().decode([Claim].self, from: data) else {
            throw CLIError("the daemon's answer to POST /v1/claim is not a list of claims: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        let failed = list.filter { !($0.error ?? "").isEmpty }
        if global.json {
            printRaw(data)
        } else {
            if list.isEmpty { print("nothing to claim") }
            for c in list {
                if let error = c.error, !error.isEmpty {
                    print("  \(c.channel.base58)  failed: \(error)")
                } else {
                    print("  \(c.channel.base58)  claimed \(c.amount) from \(short(c.payer.base58))  \(c.signature ?? "")")
                }
            }
        }
        if !failed.isEmpty {
            Output.note("\(failed.count) of \(list.count) claim(s) failed; the daemon tries them again every claimInterval")
            throw ExitCode(1)
        }
    }
}

private func short(_ s: String) -> String {
    return s.count > 12 ? String(s.prefix(6)) + "…" + String(s.suffix(4)) : s
}

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
