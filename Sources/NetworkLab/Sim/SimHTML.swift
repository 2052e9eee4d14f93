import Foundation

/// DIR/report.html: the report as one page with no script and nothing
/// fetched from elsewhere; the charts are SVG drawn here.
enum SimHTML {
    static func render(_ r: SimReport) -> String {
        let viewers = r.players.map(\.viewer)
        var body = "<h1>nodectl sim \(esc(r.scenario))</h1>\n"
        body += "<p class=\"\(r.passed ? "pass" : "fail")\">\(r.passed ? "PASSED" : "FAILED"): \(r.checks.count - r.failures.count) of \(r.checks.count) checks held. Seed \(r.seed); \(String(format: "%.0f", r.seconds)) s in all, \(String(format: "%.0f", r.playSeconds)) s playing.</p>\n"
        body += "<h2>Time to first frame per viewer (s)</h2>\n" + bars(zip(viewers, r.players.map { $0.timeToFirstFrame ?? 0 }).map { ($0, $1) }, unit: "s")
        body += "<h2>Stall time per viewer (s)</h2>\n" + bars(zip(viewers, r.players.map(\.stallSeconds)).map { ($0, $1) }, unit: "s")
        body += "<h2>Viewers over the run</h2>\n<p>From joining to leaving (blue), stalled (red); faults as grey lines. Seconds since playing began.</p>\n" + timeline(r)
        body += "<h2>Bytes served per node</h2>\n" + bars(r.nodes.filter { $0.role != "viewer" || $0.bytesServed > 0 }.map { ($0.name, Double($0.bytesServed)) }, unit: "B")
        body += "<h2>Lamports earned and spent per node</h2>\n"
            + bars(r.nodes.flatMap { [($0.name + " earned", Double($0.earned)), ($0.name + " spent", Double($0.spent))] }, unit: "")
        body += "<h2>Checks</h2>\n" + table(["", "subject", "check", "figures"], r.checks.map {
            [$0.passed ? "✔" : "✘", $0.subject, $0.name, $0.line]
        }, failing: r.checks.map { !$0.passed })
        body += "<h2>Viewers</h2>\n" + table(["viewer", "joined at", "segments", "first frame", "stalls", "stalled", "bytes", "to the end", "problem"], r.players.map {
            [$0.viewer, String(format: "%.1f s", $0.joinAt), "\($0.segments.count)", $0.timeToFirstFrame.map { String(format: "%.2f s", $0) } ?? "never",
             "\($0.stalls)", String(format: "%.1f s", $0.stallSeconds), "\($0.bytes)", $0.wantedEnd ? ($0.reachedEnd ? "yes" : "no") : "left early", $0.error ?? ""]
        })
        body += "<h2>Nodes</h2>\n" + table(["node", "role", "restarts", "chunks served", "bytes served", "vouchers sent", "vouchers accepted", "earned", "claimed", "spent", "balance after", "fees", "CPU", "peak memory"], r.nodes.map {
            [$0.name, $0.role, "\($0.restarts)", "\($0.chunksServed)", "\($0.bytesServed)", "\($0.vouchersSent)", "\($0.vouchersAccepted)",
             "\($0.earned)", "\($0.claimed)", "\($0.spent)", "\($0.balanceAfter)", "\($0.fees)",
             $0.usage.map { String(format: "%.1f s", $0.cpuSeconds) } ?? "", $0.usage.map { String(format: "%.0f MB", Double($0.peakMemoryBytes) / 1e6) } ?? ""]
        })
        body += "<h2>Channels</h2>\n" + table(["channel", "payer", "payee", "spent (payer)", "accepted (payee)", "claimed (payee)", "claimed (chain)", "deposit"], r.channels.map {
            [String($0.channel.prefix(8)), $0.payer, $0.payee, "\($0.spentPerPayer)", "\($0.acceptedPerPayee)", "\($0.claimedPerPayee)", "\($0.claimedOnChain)", "\($0.depositOnChain)"]
        })
        body += "<h2>Faults</h2>\n" + table(["planned", "began", "action", "node", "what"], r.faults.map {
            [String(format: "%.1f s", $0.at), String(format: "%.1f s", $0.began), $0.action, $0.node, $0.detail]
        })
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>nodectl sim \(esc(r.scenario))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; max-width: 72em; color: #222; }
        table { border-collapse: collapse; margin-bottom: 1.5em; } td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
        tr.fail td, p.fail { color: #b00; font-weight: bold; } p.pass { color: #070; font-weight: bold; }
        svg text { font: 12px system-ui, sans-serif; }
        </style></head><body>
        \(body)
        </body></html>
        """
    }

    /// A horizontal bar per (label, value), scaled to the largest value.
    static func bars(_ rows: [(String, Double)], unit: String) -> String {
        guard !rows.isEmpty else { return "<p>none</p>\n" }
        let height = 18, labelWidth = 160, barWidth = 420
        let top = max(rows.map(\.1).max() ?? 0, 1e-9)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + barWidth + 120)\" height=\(quote(String(rows.count * height + 4)))>\n"
        for (i, (label, value)) in rows.enumerated() {
            let y = i * height + 2, w = max(0, Int(Double(barWidth) * value / top))
            svg += "<text x=\"0\" y=\"\(y + 13)\">\(esc(label))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(w)\" height=\"\(height - 4)\" fill=\"#4a7ebb\"/>"
            svg += "<text x=\"\(labelWidth + w + 4)\" y=\"\(y + 13)\">\(esc(format(value) + (unit.isEmpty ? "" : " " + unit)))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// A lane per viewer from its join to its leaving, its stalls in red, and a line at each fault.
    static func timeline(_ r: SimReport) -> String {
        guard !r.players.isEmpty else { return "<p>none</p>\n" }
        let height = 18, labelWidth = 160, width = 560
        let end = max(r.players.map { $0.joinAt + $0.leftAfter }.max() ?? 1, r.faults.map(\.began).max() ?? 0, 1)
        func x(_ t: Double) -> Int { labelWidth + Int(Double(width) * t / end) }
        let h = r.players.count * height + 24
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + width + 40)\" height=\"\(h)\">\n"
        for (i, p) in r.players.enumerated() {
            let y = i * height + 2
            svg += "<text x=\"0\" y=\"\(y + 13)\">\(esc(p.viewer))</text>"
            svg += "<rect x=\"\(x(p.joinAt))\" y=\"\(y)\" width=\"\(max(1, x(p.joinAt + p.leftAfter) - x(p.joinAt)))\" height=\"\(height - 4)\" fill=\"#4a7ebb\"/>"
            for s in p.stallTimes {
                svg += "<rect x=\"\(x(p.joinAt + s.at))\" y=\"\(y)\" width=\"\(max(2, x(p.joinAt + s.at + s.seconds) - x(p.joinAt + s.at)))\" height=\"\(height - 4)\" fill=\"#c33\"/>"
            }
            svg += "\n"
        }
        for f in r.faults {
            svg += "<line x1=\"\(x(f.began))\" y1=\"0\" x2=\"\(x(f.began))\" y2=\"\(h - 20)\" stroke=\"#888\"/>"
            svg += "<text x=\"\(x(f.began) + 2)\" y=\"\(h - 6)\">\(esc(f.action + " " + f.node))</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func table(_ header: [String], _ rows: [[String]], failing: [Bool] = []) -> String {
        guard !rows.isEmpty else { return "<p>none</p>\n" }
        var out = "<table><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>\n"
        for (i, row) in rows.enumerated() {
            let cls = i < failing.count && failing[i] ? " class=\"fail\"" : ""
            out += "<tr\(cls)>" + row.map { "<td>\(esc($0))</td>" }.joined() + "</tr>\n"
        }
        return out + "</table>\n"
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.2f", v)
    }

    private static func quote(_ s: String) -> String { "\"" + s + "\"" }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
