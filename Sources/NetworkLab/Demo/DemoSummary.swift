import Foundation

/// What the demo prints at the end (as a table, or as JSON with --json).
/// Every figure was read back from a node's API or from the chain.
public struct DemoSummary: Codable, Sendable {
    /// True when every cross-check passed.
    public var passed: Bool
    public var seconds: Double
    public var rpcURL: String
    public var programId: String
    public var workDirectory: String
    public var nodes: [DemoNodeFigures]
    public var channels: [DemoChannelFigures]
    public var streams: [DemoStreamFigures]
    /// The chat and tips on the live stream (nil without one).
    public var chat: DemoChatFigures?
    public var playback: DemoPlaybackFigures
    public var checks: [DemoCheck]
    /// With --keep: how to watch and how to stop.
    public var kept: DemoKept?

    public var failures: [DemoCheck] { checks.filter { !$0.passed } }
}

/// One node's figures. Lamports unless named otherwise.
public struct DemoNodeFigures: Codable, Sendable {
    public var name: String
    public var role: String
    public var address: String
    public var pricePerChunk: UInt64
    // GET /v1/stats (the /metrics counters)
    public var chunksServed: UInt64
    public var bytesServed: UInt64
    public var chunksFetched: UInt64
    public var bytesFetched: UInt64
    public var vouchersSent: UInt64
    public var vouchersAccepted: UInt64
    public var lamportsPaidPerMetrics: UInt64
    public var lamportsEarnedPerMetrics: UInt64
    public var claimsPerMetrics: UInt64
    // GET /v1/earnings
    public var earned: UInt64
    public var claimed: UInt64
    public var pending: UInt64
    public var earnedForChunks: UInt64
    public var earnedForSeconds: UInt64
    public var earnedFromTips: UInt64
    // GET /v1/channels: what this node's outgoing channels say it spent
    public var spent: UInt64
    // GET /v1/spending: per stream, seconds watched and chunk fees
    public var spentByStream: [String: UInt64]
    // POST /v1/claim: claims this node made when asked
    public var claims: Int
    // The chain
    public var balanceBefore: UInt64
    public var balanceAfter: UInt64
    /// Claimed on chain from the channels paying this node.
    public var claimedOnChain: UInt64
    /// Put into the channels it pays into (rent and deposits).
    public var paidIntoChannels: UInt64
    /// Transaction fees: claims, channel opens and top-ups.
    public var fees: UInt64

    public var balanceChange: Int64 { Int64(balanceAfter) - Int64(balanceBefore) }
}

/// A channel on chain with what each side's API says of it.
public struct DemoChannelFigures: Codable, Sendable {
    public var channel: String
    public var payer: String
    public var payee: String
    public var depositOnChain: UInt64
    public var claimedOnChain: UInt64
    /// The payer's /v1/channels `spent`.
    public var spentPerPayer: UInt64
    /// The payee's best voucher (its /v1/channels incoming `amount`).
    public var acceptedPerPayee: UInt64
    /// What that pays for: chunks the payer received from the payee (its
    /// /v1/peers) at the payee's price, seconds played and a tip (to a creator).
    public var chunks: UInt64
    public var pricePerChunk: UInt64
    public var seconds: UInt64
    public var tip: UInt64
}

public struct DemoStreamFigures: Codable, Sendable {
    public var stream: String
    public var kind: String
    public var segments: Int
    public var duration: Double
    public var pricePerSecond: UInt64
    /// Segments each viewer played.
    public var played: [String: Int]
    /// What each viewer's /v1/spending says watching it cost (seconds and chunk fees).
    public var spending: [String: UInt64]
    /// The creator's per-second income for it (its /v1/earnings byStream, less tips).
    public var secondsIncome: UInt64
    public var tips: UInt64
}

/// How playback felt, over every viewer and stream, and who served the bytes.
public struct DemoPlaybackFigures: Codable, Sendable {
    public var players: Int
    /// Seconds from the first playlist request to the first segment's bytes.
    public var firstSegmentP50: Double
    public var firstSegmentP95: Double
    public var firstSegmentMax: Double
    /// A real-time player's stops waiting for a segment (count, and seconds in all).
    public var stalls: Int
    public var stallSeconds: Double
    /// Bytes served to peers by the viewers (to each other), the relays and the creator.
    public var bytesServedByViewers: UInt64
    public var bytesServedByRelays: UInt64
    public var bytesServedByCreator: UInt64

    public var bytesServed: UInt64 { bytesServedByViewers + bytesServedByRelays + bytesServedByCreator }
    func share(_ bytes: UInt64) -> Double { bytesServed == 0 ? 0 : Double(bytes) / Double(bytesServed) }
}

public struct DemoChatFigures: Codable, Sendable {
    public var stream: String
    public var seenBy: String
    public var lines: [Line]
    public var tipHighlighted: Bool
    public var tipPinned: Bool

    public struct Line: Codable, Sendable {
        public var author: String
        public var text: String
        public var tip: UInt64?
        public var pinned: Bool
    }
}

/// Two figures that must agree (`relation` "="), the left one at most the
/// right one ("<="), or a fact that must hold ("holds": left describes it).
public struct DemoCheck: Codable, Sendable {
    /// What the figures are about: a node, a channel, a stream, the chat.
    public var subject: String
    /// The check in a few words ("spent = accepted").
    public var name: String
    public var left: String
    public var leftValue: Int64
    public var relation: String
    public var right: String
    public var rightValue: Int64
    public var passed: Bool

    /// "subject: left (L) = right (R)", or for a failure "subject: left is L but right is R"
    /// ("... is L, more than right, R" when it had to be at most).
    public var line: String {
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

public struct DemoKept: Codable, Sendable {
    public var playbackURLs: [String: String]
    public var stopCommand: String
}
