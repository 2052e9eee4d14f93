/// Counters of what a node did and dropped, by reason. Every dropped input
/// is counted here; nothing is dropped silently.
public struct GossipStats: Sendable, Equatable, Codable {
    /// Envelopes accepted for the first time (verified and valid).
    public var accepted = 0
    /// Messages handed to local subscribers.
    public var delivered = 0
    /// Messages this node published.
    public var published = 0
    /// Copies of known messages (normal in a mesh).
    public var duplicates = 0
    /// Repeats of the same id by the same peer beyond the allowance.
    public var duplicateFloods = 0
    /// Envelopes whose signature did not verify.
    public var badSignatures = 0
    /// Frames that did not decode.
    public var malformedFrames = 0
    /// Frames or fields over their size cap.
    public var oversize = 0
    /// Envelopes that decoded but whose payload or author was not valid for the topic.
    public var invalidMessages = 0
    /// Envelopes or subscriptions on a topic this node does not know.
    public var unknownTopics = 0
    /// Envelopes older than the seen-cache window or behind the author's sequence.
    public var replays = 0
    /// Frames dropped by a per-peer rate limit.
    public var rateLimited = 0
    /// HELLOs whose CURVE key did not belong to the address claimed.
    public var impostors = 0
    /// Chat from muted or banned authors, not shown or forwarded.
    public var moderated = 0
    /// Peers dropped for a score below the graylist threshold.
    public var peersDropped = 0
    /// Frames from links that never said HELLO.
    public var unidentified = 0
    /// Chat messages fetched from peers' history and stored.
    public var historyStored = 0

    public init() {}
}
