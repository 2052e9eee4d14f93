import Foundation
import Synchronization

/// Network conditions of one node's access link, for simulations only
/// (`nodectl sim`, tests): this machine's kernel has no `netem`, so delay
/// and loss are made here, in the node's own transport, in the manner of
/// go-libp2p's simulated network; bandwidth caps can come from here too
/// (or from `tc` between network namespaces). docs/simulation.md.
public struct LinkConditions: Sendable, Equatable {
    /// One-way delay added to every frame this node sends and to every frame
    /// it receives, seconds: a round trip between two shaped nodes A and B
    /// takes 2 × (A's latency + B's latency) more than unshaped.
    public var latency: Double
    /// Bytes per second this node sends, all links together; nil: no cap.
    public var uplink: Double?
    /// Bytes per second this node receives, all links together; nil: no cap.
    public var downlink: Double?
    /// Probability that a frame is lost on the wire. Our links are TCP, which
    /// sends a lost segment again after its retransmission time-out: a lost
    /// frame arrives `retransmitDelay` late, and the frames after it on the
    /// same link wait behind it, as TCP's in-order delivery makes them.
    public var loss: Double
    /// Linux's minimum TCP retransmission time-out (TCP_RTO_MIN).
    public static let retransmitDelay = 0.2
    /// Every loss decision comes from this seed.
    public var seed: UInt64

    public init(latency: Double = 0, uplink: Double? = nil, downlink: Double? = nil, loss: Double = 0, seed: UInt64 = 1) {
        self.latency = latency
        self.uplink = uplink
        self.downlink = downlink
        self.loss = loss
        self.seed = seed
    }

    /// Why these conditions cannot be simulated; nil when they can.
    public var problem: String? {
        if !(latency >= 0 && latency <= 10) { return "latency must be 0 to 10 seconds, got \(latency)" }
        if let up = uplink, !(up >= 1_000) { return "uplink must be at least 1000 bytes per second, got \(up)" }
        if let down = downlink, !(down >= 1_000) { return "downlink must be at least 1000 bytes per second, got \(down)" }
        if !(loss >= 0 && loss < 1) { return "loss must be from 0 up to (not including) 1, got \(loss)" }
        return nil
    }

    public var isNeutral: Bool { latency == 0 && uplink == nil && downlink == nil && loss == 0 }
}

/// When each frame of a shaped node may leave (or reach the node), shared
/// by the node's transports so that its gossip and its chunk exchange
/// share one uplink and one downlink, as they share one access link.
public final class LinkShaper: Sendable {
    public enum Direction: Sendable { case up, down }

    public let conditions: LinkConditions
    private struct State {
        /// When each direction's wire is free again (monotonic ns).
        var upFree: UInt64 = 0
        var downFree: UInt64 = 0
        var random: UInt64
        var lost = 0
        var frames = 0
    }
    private let state: Mutex<State>

    public init(_ conditions: LinkConditions) {
        self.conditions = conditions
        state = Mutex(State(random: conditions.seed == 0 ? 0x9E37_79B9_7F4A_7C15 : conditions.seed))
    }

    /// The moment (monotonic ns) a frame of `bytes` handed over at `now` is
    /// through: queued behind the frames before it on this direction's wire,
    /// serialized at its rate, delayed by the latency and, if lost, by a
    /// retransmission.
    public func due(bytes: Int, _ direction: Direction, now: UInt64) -> UInt64 {
        let rate = direction == .up ? conditions.uplink : conditions.downlink
        return state.withLock { s in
            var done = now
            if let rate, rate.isFinite, rate > 0 {
                let start = max(now, direction == .up ? s.upFree : s.downFree)
                done = start + UInt64(Double(bytes) / rate * 1e9)
                if direction == .up { s.upFree = done } else { s.downFree = done }
            }
            var extra = conditions.latency
            s.frames += 1
            if conditions.loss > 0 {
                // xorshift64*: the same seed gives the same losses.
                s.random ^= s.random >> 12; s.random ^= s.random << 25; s.random ^= s.random >> 27
                let draw = Double((s.random &* 0x2545_F491_4F6C_DD1D) >> 11) / Double(1 << 53)
                if draw < conditions.loss {
                    extra += LinkConditions.retransmitDelay
                    s.lost += 1
                }
            }
            return done + UInt64(extra * 1e9)
        }
    }

    /// Frames shaped and frames "lost" (sent again late) so far.
    public var counts: (frames: Int, lost: Int) { state.withLock { ($0.frames, $0.lost) } }
}

/// Items held until a moment, handed over in that order; a link's items
/// keep the order they were added in, as a TCP stream keeps its bytes'.
struct DueQueue<Item> {
    private var items: [(due: UInt64, item: Item)] = []
    private var head = 0
    private var lastDue: [Link: UInt64] = [:]

    mutating func add(_ item: Item, link: Link, due: UInt64) {
        let at = max(due, lastDue[link] ?? 0)
        lastDue[link] = at
        // Nearly always the latest: insert from the end.
        var i = items.count
        while i > head, items[i - 1].due > at { i -= 1 }
        items.insert((at, item), at: i)
    }

    /// Milliseconds until the first item is due (0: now), at most `Int32.max`.
    func millisUntilNext() -> Int64 {
        guard head < items.count else { return Int64(Int32.max) }
        let now = monotonicNanos()
        let due = items[head].due
        return due <= now ? 0 : Int64((due - now + 999_999) / 1_000_000)
    }

    mutating func takeDue(_ now: UInt64) -> [Item] {
        var out: [Item] = []
        while head < items.count, items[head].due <= now {
            out.append(items[head].item)
            head += 1
        }
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
            lastDue.removeAll(keepingCapacity: true)   // every due has passed
        } else if head > 1024, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return out
    }
}
