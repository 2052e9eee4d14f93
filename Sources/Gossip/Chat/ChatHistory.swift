import Identity
import LMDB
import Transport

/// The last N chat messages per stream, and the moderation actions in
/// force, in LMDB, so a node that joins late or restarts can show recent
/// chat and keep applying bans.
///
/// Keys: stream key ‖ timestamp ‖ author ‖ epoch ‖ seq ‖ message id
/// (integers u64 BE), so a prefix scan returns a stream's chat oldest first,
/// each author's lines in their order even within one millisecond; the value is the envelope exactly
/// as signed. Commits skip fsync (chat can be fetched again from peers; a
/// power cut may lose the newest lines, a crashed process loses nothing).
final class ChatHistory: Sendable {
    let env: LMDBEnvironment
    let messages: LMDBDatabase
    let counts: LMDBDatabase
    let moderation: LMDBDatabase
    let limit: Int

    init(directory: String, limit: Int) throws {
        var options = LMDBEnvironment.Options()
        options.mapSize = 1 << 30
        options.noSync = true
        env = try LMDBEnvironment(directory: directory, options: options)
        messages = try env.database("chat")
        counts = try env.database("chat-counts")
        moderation = try env.database("moderation")
        self.limit = max(1, limit)
    }

    static func streamKey(_ stream: StreamID) -> [UInt8] {
        let text = Array(stream.description.utf8)
        return [UInt8(text.count)] + text
    }

    static func key(_ envelope: Envelope, stream: StreamID) -> [UInt8] {
        var w = WireWriter()
        w.fixed(streamKey(stream))
        w.u64(envelope.timestamp)
        w.fixed(envelope.author.bytes)
        w.u64(envelope.epoch)
        w.u64(envelope.seq)
        w.fixed(envelope.id.bytes)
        return w.bytes
    }

    func contains(_ envelope: Envelope, stream: StreamID) throws -> Bool {
        let key = Self.key(envelope, stream: stream)
        return try env.read { try $0.contains(messages, key: key) }
    }

    /// Stores a verified chat envelope; returns false when it was already there.
    /// Trims the stream to the newest `limit` messages.
    @discardableResult
    func store(_ envelope: Envelope, stream: StreamID) throws -> Bool {
        let key = Self.key(envelope, stream: stream)
        let prefix = Self.streamKey(stream)
        return try env.write { txn in
            if try txn.contains(messages, key: key) { return false }
            try txn.put(messages, key: key, value: envelope.wire)
            var count = (try txn.get(counts, key: prefix)).map(Self.decodeCount) ?? 0
            count += 1
            if count > limit {
                var doomed: [[UInt8]] = []
                try txn.forEach(messages, from: prefix) { k, _ in
                    guard k.starts(with: prefix), doomed.count < count - limit else { return false }
                    doomed.append(Array(k))
                    return true
                }
                for k in doomed { try txn.delete(messages, key: k) }
                count -= doomed.count
            }
            try txn.put(counts, key: prefix, value: Self.encodeCount(count))
            return true
        }
    }

    /// The newest `limit` stored envelopes of a stream, oldest first.
    func recent(_ stream: StreamID, limit: Int, maxPayload: Int) throws -> [Envelope] {
        let prefix = Self.streamKey(stream)
        var out: [Envelope] = []
        try env.read { txn in
            try txn.forEach(messages, from: prefix) { k, v in
                guard k.starts(with: prefix) else { return false }
                if let envelope = try? Envelope(wire: Array(v), maxPayload: maxPayload) { out.append(envelope) }
                return out.count < 100_000
            }
        }
        return Array(out.suffix(limit))
    }

    // MARK: Moderation

    struct Standing: Sendable, Equatable {
        var kind: ModerationAction.Kind
        var until: UInt64
        /// Timestamp of the envelope that set it; an older action never overrides a newer one.
        var setAt: UInt64
    }

    func saveStanding(_ standing: Standing, stream: StreamID, target: Address) throws {
        var w = WireWriter()
        w.u8(standing.kind.rawValue)
        w.u64(standing.until)
        w.u64(standing.setAt)
        let value = w.bytes
        try env.write { try $0.put(moderation, key: Self.streamKey(stream) + target.bytes, value: value) }
    }

    /// Every stored standing: (stream key, target, standing).
    func loadStandings() throws -> [(stream: String, target: Address, standing: Standing)] {
        var out: [(String, Address, Standing)] = []
        try env.read { txn in
            try txn.forEach(moderation) { k, v in
                let key = Array(k), value = Array(v)
                guard let n = key.first, key.count == 1 + Int(n) + 32, value.count == 17,
                      let kind = ModerationAction.Kind(rawValue: value[0]),
                      let target = try? Address(bytes: Array(key[(1 + Int(n))...])) else { return true }
                var r = WireReader(value, offset: 1)
                guard let until = try? r.u64("until"), let setAt = try? r.u64("setAt") else { return true }
                out.append((String(decoding: key[1..<(1 + Int(n))], as: UTF8.self), target,
                            Standing(kind: kind, until: until, setAt: setAt)))
                return out.count < 1_000_000
            }
        }
        return out
    }

    private static func encodeCount(_ n: Int) -> [UInt8] {
        var w = WireWriter()
        w.u64(UInt64(n))
        return w.bytes
    }

    private static func decodeCount(_ bytes: [UInt8]) -> Int {
        var r = WireReader(bytes)
        return Int((try? r.u64("count")) ?? 0)
    }
}
