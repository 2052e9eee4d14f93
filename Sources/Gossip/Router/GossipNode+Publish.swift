import Foundation
import Identity
import Transport

extension GossipNode {
    /// Signs and sends our own message: to every subscribed peer with a
    /// good enough score when flood-publishing (the default), else to the
    /// mesh (or fanout when not subscribed).
    func publish(_ topic: Topic, payload: [UInt8]) throws -> MessageID {
        guard !stopped else { throw GossipError.stopped }
        guard payload.count <= config.maxPayloadBytes else {
            throw GossipError.tooLarge("payload is \(payload.count) bytes; the limit is \(config.maxPayloadBytes)")
        }
        let seq = (ownSeq[topic] ?? 0) + 1
        ownSeq[topic] = seq
        let envelope = Envelope(topic: topic, author: identity, epoch: epoch, seq: seq,
                                timestamp: UInt64(Date().timeIntervalSince1970 * 1000), payload: payload)
        let now = monotonicNanos()
        seen.insert(envelope.id, from: nil, now: now)
        mcache.put(envelope)
        stats.published += 1
        if let content = try? GossipMessage.Content.decode(topic: topic, payload: payload,
                                                          maxChatText: config.maxChatTextBytes) {
            let message = GossipMessage(envelope: envelope, content: content, receivedAt: now)
            apply(message)
            if case .deliver(let items) = sequencer.accept(message, topic: topic, author: address, epoch: epoch,
                                                           seq: seq, now: now) {
                for item in items { deliver(item) }
            }
        }
        let frame = Frame.publish([envelope.wire]).encoded()
        for peer in publishTargets(topic, now: now) { enqueue(encoded: frame, to: peer) }
        flush()
        return envelope.id
    }

    func publishTargets(_ topic: Topic, now: UInt64) -> [Address] {
        if config.floodPublish {
            return peers.values.filter { $0.topics.contains(topic) && $0.score.value(config) >= config.publishThreshold }
                .map(\.address)
        }
        if subscriptions.contains(topic) { return Array(meshState.mesh[topic] ?? []) }
        var fanout = meshState.fanout[topic] ?? []
        fanout = fanout.filter { peers[$0] != nil }
        if fanout.count < config.meshDegree {
            let extra = peers.values.filter { $0.topics.contains(topic) && !fanout.contains($0.address)
                && $0.score.value(config) >= config.publishThreshold }.map(\.address).shuffled()
            for peer in extra where fanout.count < config.meshDegree { fanout.insert(peer) }
        }
        meshState.fanout[topic] = fanout
        meshState.fanoutLastPublished[topic] = now
        return Array(fanout)
    }

    /// Side effects of an accepted message, before ordered delivery: the
    /// peer table, stream announcements, moderation standings, chat history.
    func apply(_ message: GossipMessage) {
        let envelope = message.envelope
        switch message.content {
        case .peerRecord(let signed):
            if signed.record.address != address {
                table.upsert(signed, now: message.receivedAt, protecting: Set(peers.keys))
            }
        case .announcement(let a):
            let order = (envelope.epoch, envelope.seq)
            if let old = announcements[a.stream], old.seq >= order { break }
            if announcements[a.stream] == nil && announcements.count >= config.maxKnownStreams { break }
            announcements[a.stream] = (order, a)
        case .moderation(let action):
            guard case .moderation(let stream) = envelope.topic else { break }
            let previous = standings[stream]?[action.target]
            if let previous, previous.setAt > envelope.timestamp { break }
            let standing = ChatHistory.Standing(kind: action.kind, until: action.until, setAt: envelope.timestamp)
            standings[stream, default: [:]][action.target] = standing
            try? history?.saveStanding(standing, stream: stream, target: action.target)
        case .chat:
            if case .chat(let stream) = envelope.topic { _ = try? history?.store(envelope, stream: stream) }
        }
    }

    /// Whether a stream's creator has muted (as of `time`) or banned `author`.
    func isSilenced(_ author: Address, in stream: StreamID, at time: UInt64) -> Bool {
        guard let standing = standings[stream]?[author] else { return false }
        switch standing.kind {
        case .ban: return true
        case .mute: return time < standing.until
        case .lift: return false
        }
    }

    /// Hands a message to the subscribers of its topic (moderation also to the chat's).
    func deliver(_ message: GossipMessage) {
        var targets = subscribers[message.topic].map { Array($0.values) } ?? []
        if case .moderation(let s) = message.topic, let chat = subscribers[.chat(s)] {
            targets.append(contentsOf: chat.values)
        }
        guard !targets.isEmpty else { return }
        stats.delivered += 1
        var message = message
        message.deliveredAt = monotonicNanos()
        for c in targets { c.yield(message) }
    }

    // MARK: Sending

    func enqueue(_ frame: Frame, to peer: Address) {
        enqueue(encoded: frame.encoded(), to: peer)
    }

    func enqueue(encoded: [UInt8], to peer: Address) {
        guard let link = peers[peer]?.link else { return }
        peers[peer]?.lastSent = monotonicNanos()
        outbox.append((link, encoded))
    }

    func broadcast(_ frame: Frame) {
        let bytes = frame.encoded()
        for peer in peers.keys { enqueue(encoded: bytes, to: peer) }
    }

    func flush() {
        guard !outbox.isEmpty else { return }
        transport.send(outbox)
        outbox.removeAll(keepingCapacity: true)
    }

    var helloFrame: Frame {
        .hello(record: ownRecord.wire, version: subscriptionVersion, topics: subscriptions.map(\.description).sorted())
    }

    var subscriptionsFrame: Frame {
        .subscriptions(version: subscriptionVersion, topics: subscriptions.map(\.description).sorted())
    }
}
