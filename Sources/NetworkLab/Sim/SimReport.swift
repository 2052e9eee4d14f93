import Foundation

/// Everything a run measured (DIR/report.json), and the checks over it.
struct SimReport: Codable, Sendable {
    var scenario: String
    var seed: UInt64
    var passed: Bool
    /// The whole run, and the playing phase (from the first join to the last player leaving).
    var seconds: Double
    var playSeconds: Double
    var nodes: [SimNodeFigures]
    var players: [SimPlayback]
    var channels: [SimFigures.Channel]
    var lamports: SimFigures.Lamports
    var durable: [SimFigures.Durable]
    var faults: [SimFaultRecord]
    var checks: [DemoCheck]

    var failures: [DemoCheck] { checks.filter { !$0.passed } }

    /// The median time to first frame over the players that got one.
    var medianTimeToFirstFrame: Double? {
        let t = players.compactMap(\.timeToFirstFrame).sorted()
        return t.isEmpty ? nil : t[t.count / 2]
    }
    var stallSeconds: Double { players.reduce(0) { $0 + $1.stallSeconds } }
    var watchedSeconds: Double { players.reduce(0) { $0 + $1.watchedSeconds } }
}

/// One node's figures at the end (counters summed over its restarts).
struct SimNodeFigures: Codable, Sendable {
    var name: String
    var role: String
    var address: String
    var restarts: Int
    var chunksServed: UInt64
    var bytesServed: UInt64
    var bytesFetched: UInt64
    var vouchersSent: UInt64
    var vouchersAccepted: UInt64
    var claims: UInt64
    /// Per /v1/earnings.
    var earned: UInt64
    var claimed: UInt64
    /// The sum of its outgoing channels' spent.
    var spent: UInt64
    var airdropped: UInt64
    var balanceAfter: UInt64
    var fees: UInt64
    /// Its daemon's CPU seconds and peak memory (its last life, after a restart), from /proc.
    var usage: ProcessUsage?
}

extension SimReport {
    /// The table printed at the end: one row per node, then the players, then the checks' verdict.
    var table: String {
        var lines = ["", "nodectl sim \(scenario) (seed \(seed)): \(passed ? "PASSED" : "FAILED"), \(checks.count - failures.count) of \(checks.count) checks held, \(String(format: "%.0f", seconds)) s in all"]
        lines.append(pad(["node", "role", "restarts", "bytes served", "earned", "spent", "claimed", "fees"], [12, 8, 9, 13, 10, 10, 10, 8]))
        for n in nodes {
            lines.append(pad([n.name, n.role, "\(n.restarts)", "\(n.bytesServed)", "\(n.earned)", "\(n.spent)", "\(n.claimed)", "\(n.fees)"],
                             [12, 8, 9, 13, 10, 10, 10, 8]))
        }
        lines.append("")
        lines.append(pad(["viewer", "segments", "first frame", "stalls", "stalled", "to the end"], [12, 9, 12, 7, 9, 10]))
        for p in players {
            lines.append(pad([p.viewer, "\(p.segments.count)", p.timeToFirstFrame.map { String(format: "%.2f s", $0) } ?? "never",
                              "\(p.stalls)", String(format: "%.1f s", p.stallSeconds),
                              p.wantedEnd ? (p.reachedEnd ? "yes" : "NO") : "left early"], [12, 9, 12, 7, 9, 10]))
        }
        lines.append("")
        let usages = nodes.compactMap(\.usage)
        if !usages.isEmpty {
            let cpu = usages.reduce(0) { $0 + $1.cpuSeconds } / Double(usages.count)
            let memory = usages.reduce(0) { $0 + $1.peakMemoryBytes } / UInt64(usages.count)
            lines.append(String(format: "per daemon: %.1f CPU seconds, %.0f MB peak memory on average", cpu, Double(memory) / 1e6))
        }
        lines.append("median time to first frame \(medianTimeToFirstFrame.map { String(format: "%.2f s", $0) } ?? "none"); stalled \(String(format: "%.1f", stallSeconds)) s of \(String(format: "%.0f", watchedSeconds)) s watched")
        for f in failures { lines.append("FAILED " + f.line) }
        return lines.joined(separator: "\n")
    }

    private func pad(_ cells: [String], _ widths: [Int]) -> String {
        zip(cells, widths).map { $0.count >= $1 ? $0 + " " : $0 + String(repeating: " ", count: $1 - $0.count) }.joined()
    }
}
