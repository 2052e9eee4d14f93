import ArgumentParser
import Foundation
import NetworkLab

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
        var body: [String: Any] = ["stream": stream, "amount": amount]
        if let message { body["message"] = message }
        let data = try client.call("POST", "/v1/tip", body: body)
        if global.json { printRaw(data); return }
        let o = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        print("tipped \(o["amount"] ?? amount) lamports to \(stream) (the creator acknowledged \(o["accepted"] ?? "?"))")
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
            let data = try client.call("POST", "/v1/chat/\(stream)", body: ["text": say])
            if global.json { printRaw(data) }
            return
        }
        let data = try client.call("GET", "/v1/chat/\(stream)?limit=\(limit)")
        if global.json { printRaw(data); return }
        let o = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        for line in o["pinned"] as? [[String: Any]] ?? [] {
            print("📌 \(short(line["author"]))  [tip \(line["tip"] ?? 0)]  \(line["text"] ?? "")")
        }
        for line in o["lines"] as? [[String: Any]] ?? [] {
            let tip = (line["tip"] as? Int).map { "  [tip \($0)]" } ?? ""
            print("\(short(line["author"]))\(tip)  \(line["text"] ?? "")")
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
        let o = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        func row(_ name: String, _ f: Any?) {
            let f = f as? [String: Any] ?? [:]
            print(pad(name, 50) + pad("\(f["earned"] ?? 0)", 14) + pad("\(f["claimed"] ?? 0)", 14) + "\(f["pending"] ?? 0)")
        }
        print(pad("", 50) + pad("earned", 14) + pad("claimed", 14) + "pending")
        row("total", o["totals"])
        row("chunks served", o["chunks"])
        for (stream, f) in (o["byStream"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) { row("stream " + stream, f) }
        for (peer, f) in (o["byPeer"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) { row("from " + peer, f) }
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
        let o = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        let out = o["outgoing"] as? [[String: Any]] ?? [], inc = o["incoming"] as? [[String: Any]] ?? []
        print("paying into \(out.count) channel(s):")
        for c in out {
            print("  \(c["address"] ?? "?")  to \(short(c["payee"]))  deposit \(c["deposit"] ?? 0)  spent \(c["spent"] ?? 0)  claimed \(c["claimed"] ?? "?")  expiry \(c["expiry"] ?? "?")")
        }
        print("paid on \(inc.count) channel(s):")
        for c in inc {
            let fields = c.keys.sorted().filter { $0 != "channel" && $0 != "payer" }.map { "\($0) \(c[$0] ?? "")" }
            print("  \(c["channel"] ?? "?")  from \(short(c["payer"]))  " + fields.joined(separator: "  "))
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
        guard let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw CLIError("the daemon's answer to POST /v1/claim is not a list of claims: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        let failed = list.filter { !($0["error"] as? String ?? "").isEmpty }
        if global.json {
            printRaw(data)
        } else {
            if list.isEmpty { print("nothing to claim") }
            for c in list {
                if let error = c["error"] as? String, !error.isEmpty {
                    print("  \(c["channel"] ?? "?")  failed: \(error)")
                } else {
                    print("  \(c["channel"] ?? "?")  claimed \(c["amount"] ?? 0) from \(short(c["payer"]))  \(c["signature"] ?? "")")
                }
            }
        }
        if !failed.isEmpty {
            Output.note("\(failed.count) of \(list.count) claim(s) failed; the daemon tries them again every claimInterval")
            throw ExitCode(1)
        }
    }
}

private func short(_ value: Any?) -> String {
    let s = value as? String ?? "?"
    return s.count > 12 ? String(s.prefix(6)) + "…" + String(s.suffix(4)) : s
}

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
