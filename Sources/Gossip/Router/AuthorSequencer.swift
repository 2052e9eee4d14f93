import Identity

/// Delivers each author's messages on a topic in order, exactly once.
///
/// Envelopes carry (epoch, seq): seq counts from 1 within the author's
/// session (epoch). A message right after the last delivered one goes out at
/// once, with any held successors; one ahead of a gap waits up to the
/// reorder window for the gap to fill (gossip repair usually fills it), then
/// goes out anyway. A message at or below the last delivered seq, or from an
/// older epoch, is stale and dropped.
struct AuthorSequencer<Item> {
    struct Key: Hashable {
        let topic: Topic
        let author: Address
    }

    struct State {
        var epoch: UInt64
        var last: UInt64
        var held: [UInt64: Item] = [:]
        var heldSince: UInt64?
        var lastActivity: UInt64
    }

    enum Outcome {
        case deliver([Item])
        case held
        case stale
    }

    private var states: [Key: State] = [:]
    let maxHeld: Int

    init(maxHeld: Int) { self.maxHeld = max(1, maxHeld) }

    var trackedAuthors: Int { states.count }

    mutating func accept(_ item: Item, topic: Topic, author: Address, epoch: UInt64, seq: UInt64,
                         now: UInt64) -> Outcome {
        let key = Key(topic: topic, author: author)
        guard var state = states[key] else {
            var fresh = State(epoch: epoch, last: 0, lastActivity: now)
            let outcome = place(item, seq: seq, state: &fresh, now: now)
            states[key] = fresh
            return outcome
        }
        state.lastActivity = now
        if epoch < state.epoch { states[key] = state; return .stale }
        var released: [Item] = []
        if epoch > state.epoch {
            released = Self.drain(&state)
            state = State(epoch: epoch, last: 0, lastActivity: now)
        }
        let outcome = place(item, seq: seq, state: &state, now: now)
        states[key] = state
        switch outcome {
        case .deliver(let items): return .deliver(released + items)
        case .held: return released.isEmpty ? .held : .deliver(released)
        case .stale: return released.isEmpty ? .stale : .deliver(released)
        }
    }

    private func place(_ item: Item, seq: UInt64, state: inout State, now: UInt64) -> Outcome {
        if seq <= state.last || state.held[seq] != nil { return .stale }
        if seq == state.last + 1 {
            var out = [item]
            state.last = seq
            while let next = state.held.removeValue(forKey: state.last + 1) {
                out.append(next)
                state.last += 1
            }
            if state.held.isEmpty { state.heldSince = nil }
            return .deliver(out)
        }
        state.held[seq] = item
        if state.heldSince == nil { state.heldSince = now }
        if state.held.count > maxHeld { return .deliver(Self.drain(&state)) }
        return .held
    }

    /// Everything held, in order, skipping the gaps.
    private static func drain(_ state: inout State) -> [Item] {
        let seqs = state.held.keys.sorted()
        let out = seqs.compactMap { state.held[$0] }
        if let top = seqs.last { state.last = max(state.last, top) }
        state.held.removeAll()
        state.heldSince = nil
        return out
    }

    /// Releases what has waited longer than `window`, and forgets authors
    /// idle longer than `idle` (the seen-cache and timestamp check cover replays).
    mutating func flush(now: UInt64, window: UInt64, idle: UInt64) -> [Item] {
        var out: [Item] = []
        for (key, var state) in states {
            if let since = state.heldSince, since + window <= now {
                out.append(contentsOf: Self.drain(&state))
                states[key] = state
            } else if state.heldSince == nil, state.lastActivity + idle < now {
                states[key] = nil
            }
        }
        return out
    }
}
