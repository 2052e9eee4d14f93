import Foundation

/// What the demo prints at the end (as a table, or as JSON with --json).
/// Every figure was read back from a node's API or from the chain.
struct DemoSummary: Codable, Sendable {
    /// True when every cross-check passed.
    var passed: Bool
    var seconds: Double
    var rpcURL: String
    var programId: String
    var workDirectory: String
    var nodes: [DemoNodeFigures]
    var channels: [DemoChannelFigures]
    var streams: [DemoStreamFigures]
    /// The chat and tips on the live stream (nil without one).
    var chat: DemoChatFigures?
    var playback: DemoPlaybackFigures
    var checks: [DemoCheck]
    /// With --keep: how to watch and how to stop.
    var kept: DemoKept?

    var failures: [DemoCheck] { checks.filter { !$0.passed } }
}

/// One node's figures. Lamports unless named otherwise.
struct DemoNodeFigures: Codable, Sendable {
    var name: String
    var role: String
    var address: String
    var pricePerChunk: UInt64
    // GET /v1/stats (the /metrics counters)
    var chunksServed: UInt64
    var bytesServed: UInt64
    var chunksFetched: UInt64
    var bytesFetched: UInt64
    var vouchersSent: UInt64
    var vouchersAccepted: UInt64
    var lamportsPaidPerMetrics: UInt64
    var lamportsEarnedPerMetrics: UInt64
    var claimsPerMetrics: UInt64
    // GET /v1/earnings
    var earned: UInt64
    var claimed: UInt64
    var pending: UInt64
    var earnedForChunks: UInt64
    var earnedForSeconds: UInt64
    var earnedFromTips: UInt64
    // GET /v1/channels: what this node's outgoing channels say it spent
    var spent: UInt64
    // GET /v1/spending: per stream, seconds watched and chunk fees
    var spentByStream: [String: UInt64]
    // POST /v1/claim: claims this node made when asked
    var claims: Int
    // The chain
    var balanceBefore: UInt64
    var balanceAfter: UInt64
    /// Claimed on chain from the channels paying this node.
    var claimedOnChain: UInt64
    /// Put into the channels it pays into (rent and deposits).
    var paidIntoChannels: UInt64
    /// Transaction fees: claims, channel opens and top-ups.
    var fees: UInt64

    var balanceChange: Int64 { Int64(balanceAfter) - Int64(balanceBefore) }
}

/// A channel on chain with what each side's API says of it.
struct DemoChannelFigures: Codable, Sendable {
    var channel: String
    var payer: String
    var payee: String
    var depositOnChain: UInt64
    var claimedOnChain: UInt64
    /// The payer's /v1/channels `spent`.
    var spentPerPayer: UInt64
    /// The payee's best voucher (its /v1/channels incoming `amount`).
    var acceptedPerPayee: UInt64
    /// What that pays for: chunks the payer received from the payee (its
    /// /v1/peers) at the payee's price, seconds played and a tip (to a creator).
    var chunks: UInt64
    var pricePerChunk: UInt64
    var seconds: UInt64
    var tip: UInt64
}

struct DemoStreamFigures: Codable, Sendable {
    var stream: String
    var kind: String
    var segments: Int
    var duration: Double
    var pricePerSecond: UInt64
    /// Segments each viewer played.
    var played: [String: Int]
    /// What each viewer's /v1/spending says watching it cost (seconds and chunk fees).
    var spending: [String: UInt64]
    /// The creator's per-second income for it (its /v1/earnings byStream, less tips).
    var secondsIncome: UInt64
    var tips: UInt64
}

/// How playback felt, over every viewer and stream, and who served the bytes.
struct DemoPlaybackFigures: Codable, Sendable {
    var players: Int
    /// Seconds from the first playlist request to the first segment's bytes.
    var firstSegmentP50: Double
    var firstSegmentP95: Double
    var firstSegmentMax: Double
    /// A real-time player's stops waiting for a segment (count, and seconds in all).
    var stalls: Int
    var stallSeconds: Double
    /// Bytes served to peers by the viewers (to each other), the relays and the creator.
    var bytesServedByViewers: UInt64
    var bytesServedByRelays: UInt64
    var bytesServedByCreator: UInt64

    var bytesServed: UInt64 { bytesServedByViewers + bytesServedByRelays + bytesServedByCreator }
    func share(_ bytes: UInt64) -> Double { bytesServed == 0 ? 0 : Double(bytes) / Double(bytesServed) }
}

struct DemoChatFigures: Codable, Sendable {
    var stream: String
    var seenBy: String
    var lines: [Line]
    var tipHighlighted: Bool
    var tipPinned: Bool

    struct Line: Codable, Sendable {
        var author: String
        var text: String
        var tip: UInt64?
        var pinned: Bool
    }
}

/// Two figures that must agree (`relation` "="), the left one at most the
/// right one ("<="), or a fact that must hold ("holds": left describes it).
struct DemoCheck: Codable, Sendable {
    /// What the figures are about: a node, a channel, a stream, the chat.
    var subject: String
    /// The check in a few words ("spent = accepted").
    var name: String
    var left: String
    var leftValue: Int64
    var relation: String
    var right: String
    var rightValue: Int64
    var passed: Bool

    /// "subject: left (L) = right (R)", or for a failure "subject: left is L but right is R"
    /// ("... is L, more than right, R" when it had to be at most).
    var line: String {
        if relation == "holds" { return passed ? "\(subject): \(left)" : "\(subject): not so: \(left)" }
        if passed { return "\(subject): \(left) (\(leftValue)) \(relation) \(right) (\(rightValue))" }
        return relation == "<=" ? "\(subject): \(left) is \(leftValue), more than \(right), \(rightValue)"
                                : "\(subject): \(left) is \(leftValue) but \(right) is \(rightValue)"
    }
}

/// The checks of one run, in order.
struct DemoChecks {
    private(set) var all: [DemoCheck] = []

    mutating func equal(_ subject: String, _ name: String, _ left: String, _ l: UInt64, _ right: String, _ r: UInt64) {
        equal(subject, name, left, Int64(clamping: l), right, Int64(clamping: r))
    }

    mutating func equal(_ subject: String, _ name: String, _ left: String, _ l: Int64, _ right: String, _ r: Int64) {
        all.append(DemoCheck(subject: subject, name: name, left: left, leftValue: l, relation: "=", right: right,
                             rightValue: r, passed: l == r))
    }

    mutating func atMost(_ subject: String, _ name: String, _ left: String, _ l: UInt64, _ right: String, _ r: UInt64) {
        all.append(DemoCheck(subject: subject, name: name, left: left, leftValue: Int64(clamping: l), relation: "<=",
                             right: right, rightValue: Int64(clamping: r), passed: l <= r))
    }

    /// A fact that must be true; `figure` says what was seen.
    mutating func holds(_ subject: String, _ name: String, _ condition: Bool, _ figure: String) {
        all.append(DemoCheck(subject: subject, name: name, left: figure, leftValue: condition ? 1 : 0, relation: "holds",
                             right: "true", rightValue: 1, passed: condition))
    }
}

struct DemoKept: Codable, Sendable {
    var playbackURLs: [String: String]
    var stopCommand: String
}
