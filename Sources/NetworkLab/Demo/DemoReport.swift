import Foundation
import PayChannel
import Solana

/// The summary as text: per node, per channel, per stream, the chat, the checks.
enum DemoReport {
    /// Time to first segment, stalls, and who served the bytes.
    static func playback(_ p: DemoPlaybackFigures) -> String {
        func pct(_ bytes: UInt64) -> String { String(format: "%.0f%%", 100 * p.share(bytes)) }
        var out = "\nPlayback (\(p.players) players, each from its own node's /hls/ URL):\n"
        var t = DemoTable(["first segment p50", "p95", "max", "stalls", "stalled", "served by viewers", "relays", "creator"])
        t.add([String(format: "%.2f s", p.firstSegmentP50), String(format: "%.2f s", p.firstSegmentP95),
               String(format: "%.2f s", p.firstSegmentMax), "\(p.stalls)", String(format: "%.1f s", p.stallSeconds),
               "\(mb(p.bytesServedByViewers)) MB (\(pct(p.bytesServedByViewers)))",
               "\(mb(p.bytesServedByRelays)) MB (\(pct(p.bytesServedByRelays)))",
               "\(mb(p.bytesServedByCreator)) MB (\(pct(p.bytesServedByCreator)))"])
        return out + t.render()
    }

    static func render(_ s: DemoSummary) -> String {
        var out = "\nTraffic and vouchers per node (GET /v1/stats):\n"
        var t = DemoTable(["node", "role", "price/chunk", "served MB (chunks)", "fetched MB (chunks)", "vouchers sent", "accepted"])
        for n in s.nodes {
            t.add([n.name, n.role, lamports(n.pricePerChunk), "\(mb(n.bytesServed)) (\(n.chunksServed))",
                   "\(mb(n.bytesFetched)) (\(n.chunksFetched))", "\(n.vouchersSent)", "\(n.vouchersAccepted)"])
        }
        out += t.render()

        out += "\nMoney per node, lamports (off chain: /v1/channels, /v1/earnings; on chain: balances, channel accounts):\n"
        var m = DemoTable(["node", "spent", "earned", "for chunks", "seconds", "tips", "claimed", "into channels", "fees",
                           "balance before (SOL)", "after (SOL)", "change"])
        for n in s.nodes {
            m.add([n.name, lamports(n.spent), lamports(n.earned), lamports(n.earnedForChunks), lamports(n.earnedForSeconds),
                   lamports(n.earnedFromTips), lamports(n.claimed), lamports(n.paidIntoChannels), lamports(n.fees),
                   sol(n.balanceBefore), sol(n.balanceAfter), signed(n.balanceChange)])
        }
        out += m.render()

        out += "\nChannels on chain (payer → payee), as each side and the chain see them (lamports):\n"
        var c = DemoTable(["channel", "payer", "payee", "deposit", "spent (payer)", "accepted (payee)", "claimed on chain",
                           "for: chunks × price + seconds + tip", "unpaid"])
        for ch in s.channels {
            var parts = ["\(ch.chunks) × \(lamports(ch.pricePerChunk))"]
            if ch.seconds > 0 || ch.tip > 0 { parts += [lamports(ch.seconds), lamports(ch.tip)] }
            let due = ch.chunks * ch.pricePerChunk + ch.seconds + ch.tip
            c.add([String(ch.channel.prefix(10)) + "…", ch.payer, ch.payee, lamports(ch.depositOnChain),
                   lamports(ch.spentPerPayer), lamports(ch.acceptedPerPayee), lamports(ch.claimedOnChain),
                   parts.joined(separator: " + "), lamports(due - min(due, ch.spentPerPayer))])
        }
        out += c.render()

        out += "\nStreams (the creator's income per /v1/earnings):\n"
        var st = DemoTable(["stream", "kind", "segments", "seconds", "price/s", "played (segments)",
                            "spending (/v1/spending)", "per-second income", "tips"])
        for x in s.streams {
            let played = x.played.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let spending = x.spending.sorted { $0.key < $1.key }.map { "\($0.key) \(lamports($0.value))" }.joined(separator: ", ")
            st.add([shortStream(x.stream), x.kind, "\(x.segments)", String(format: "%.1f", x.duration),
                    lamports(x.pricePerSecond), played, spending, lamports(x.secondsIncome), lamports(x.tips)])
        }
        out += st.render()

        out += playback(s.playback)

        if let chat = s.chat {
            out += "\nChat on \(shortStream(chat.stream)), as \(chat.seenBy) sees it:\n"
            for l in chat.lines {
                let mark = l.tip.map { "  ★ tip \(lamports($0))" + (l.pinned ? ", pinned" : "") } ?? ""
                out += "  \(l.author): \(l.text)\(mark)\n"
            }
        }

        let failed = s.failures
        out += "\n\(s.checks.count) cross-checks, \(failed.isEmpty ? "all passed" : "\(failed.count) FAILED") (--json lists each with its two figures):\n"
        var subjects: [String] = []
        for check in s.checks where !subjects.contains(check.subject) { subjects.append(check.subject) }
        for subject in subjects {
            let passed = s.checks.filter { $0.subject == subject && $0.passed }.map(\.name)
            if !passed.isEmpty { out += "  ok      \(shortStream(subject)): " + passed.joined(separator: ", ") + "\n" }
        }
        for check in failed { out += "  FAILED  \(check.line)\n" }
        out += String(format: "\nprogram %@ on %@; %.0f s in all\n", s.programId, s.rpcURL, s.seconds)
        if let kept = s.kept {
            out += "\nLeft running. Play a stream from a viewer's node (ffplay, mpv, VLC):\n"
            for (name, url) in kept.playbackURLs.sorted(by: { $0.key < $1.key }) { out += "  \(name): ffplay \(url)\n" }
            out += "Stop everything and remove \(s.workDirectory): \(kept.stopCommand)\n"
        }
        return out
    }

    static func lamports(_ v: UInt64) -> String { grouped(String(v)) }

    static func signed(_ v: Int64) -> String { (v < 0 ? "−" : "+") + grouped(String(v.magnitude)) }

    static func sol(_ v: UInt64) -> String {
        String(format: "%llu.%09llu", v / WellKnown.lamportsPerSol, v % WellKnown.lamportsPerSol)
    }

    static func mb(_ bytes: UInt64) -> String { String(format: "%.1f", Double(bytes) / 1e6) }

    /// CREATOR/NAME with the creator's address shortened.
    static func shortStream(_ stream: String) -> String {
        let parts = stream.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, parts[0].count > 10 else { return stream }
        return parts[0].prefix(6) + "…/" + parts[1]
    }

    private static func grouped(_ digits: String) -> String {
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return out
    }
}

/// A plain text table: the first column left-aligned, the others right-aligned.
struct DemoTable {
    let header: [String]
    private var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0.indices.contains(i) ? $0[i].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.indices.map { i in
                let pad = String(repeating: " ", count: max(0, widths[i] - row[i].count))
                return i == 0 ? row[i] + pad : pad + row[i]
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
