import Foundation
import Identity
import Transport

/// What a peer did wrong, for its score.
enum Offence {
    case invalidMessage, malformedFrame, duplicateFlood, rateLimited, unknownTopic
}

extension GossipNode {
    func handle(_ event: TransportEvent) {
        switch event {
        case .unreachable(let link):
            if case .inbound(let rid) = link, let peer = inboundRoutes[rid], peers[peer]?.link == link {
                disconnect(peer, failed: false)
            }
        case .frame(let frame):
            if !stopped { handleFrame(frame) }
            transport.handled(bytes: frame.bytes.count)
        }
        flushSoon()
    }

    /// While frames keep arriving, sends go out in batches (one wake-up of
    /// the transport thread per batch): now if the batch is large, else
    /// once the actor has handled what is waiting.
    func flushSoon() {
        guard !outbox.isEmpty else { return }
        if outbox.count >= 64 {
            flush()
        } else if !flushScheduled {
            flushScheduled = true
            // An actor-isolated task: it runs once the actor is free, after the waiting frames.
            Task {
                self.flushScheduled = false
                self.flush()
            }
        }
    }

    private func handleFrame(_ incoming: IncomingFrame) {
        var from: Address?
        switch incoming.link {
        case .outbound(let a): from = peers[a] != nil ? a : nil
        case .inbound(let rid):
            if let key = incoming.curveKeyHex, blockedKeys.contains(key) { return }
            from = inboundRoutes[rid]
        }
        let frame: Frame
        do {
            frame = try Frame.decode(incoming.bytes, limits: limits)
        } catch {
            if case .oversize = error { stats.oversize += 1 } else { stats.malformedFrames += 1 }
            if let from { penalize(from, .malformedFrame) }
            return
        }
        if case .hello(let record, let version, let topics) = frame {
            handleHello(record: record, version: version, topics: topics, incoming: incoming)
            return
        }
        guard let from, var peer = peers[from] else {
            stats.unidentified += 1
            switch (incoming.link, frame) {
            case (.outbound, .helloRequest):
                outbox.append((incoming.link, helloFrame.encoded()))
            case (.outbound(let dialed), .peers(let records)) where pendingDials[dialed] != nil:
                // A full peer turned us away with others to try (CURVE proved who it is).
                handlePeerRecords(records, from: dialed)
            case (.inbound(let rid), _):
                let now = monotonicNanos()
                if helloRequested[rid] == nil, helloRequested.count < 4096 {
                    helloRequested[rid] = now
                    outbox.append((incoming.link, Frame.helloRequest.encoded()))
                }
            default: break
            }
            return
        }
        guard peer.frames.take(1, now: incoming.receivedAt),
              peer.bytes.take(Double(incoming.bytes.count), now: incoming.receivedAt) else {
            peers[from] = peer
            stats.rateLimited += 1
            penalize(from, .rateLimited)
            return
        }
        peer.lastReceived = max(peer.lastReceived, incoming.receivedAt)
        peer.framesByKind[Int(frame.kind.rawValue) & 15] += 1
        peers[from] = peer
        switch frame {
        case .hello: break
        case .helloRequest: outbox.append((incoming.link, helloFrame.encoded()))
        case .ping: break
        case .subscriptions(let version, let topics): handleSubscriptions(version: version, topics, from: from)
        case .publish(let envelopes):
            for bytes in envelopes where peers[from] != nil { handleEnvelope(bytes, from: from) }
        case .ihave(let topic, let ids): handleIHave(topic: topic, ids: ids, from: from)
        case .iwant(let ids): handleIWant(ids, from: from)
        case .graft(let topics): handleGraft(topics, from: from)
        case .prune(let topics, let backoff, let records): handlePrune(topics, backoff: backoff, records: records, from: from)
        case .peersRequest:
            let others = peers.keys.filter { $0 != from }
            let records = table.records(among: others, limit: config.peerExchangeCount).map(\.wire)
            enqueue(.peers(records), to: from)
        case .peers(let records): handlePeerRecords(records, from: from)
        case .historyRequest(let topic, let limit): handleHistoryRequest(topic: topic, limit: Int(limit), from: from)
        case .history(let topic, let envelopes): handleHistory(topic: topic, envelopes: envelopes, from: from)
        }
    }

    // MARK: HELLO: authenticating a link

    private func handleHello(record: [UInt8], version: UInt64, topics: [String], incoming: IncomingFrame) {
        let signed: SignedPeerRecord
        do {
            signed = try SignedPeerRecord(wire: record)
        } catch {
            stats.invalidMessages += 1
            if case .outbound(let a) = incoming.link { penalize(a, .invalidMessage) }
            return
        }
        let claimed = signed.record.address
        guard claimed != address else { return }
        switch incoming.link {
        case .outbound(let dialed):
            // CURVE already proved the far end holds `dialed`'s key; its record must say so too.
            guard claimed == dialed else {
                stats.impostors += 1
                disconnect(dialed, failed: true)
                return
            }
        case .inbound:
            // The key the peer proved in the CURVE handshake must be the one its address maps to.
            guard let key = incoming.curveKeyHex, let expected = try? claimed.curvePublicKey(),
                  ZMQ.hex(expected) == key else {
                stats.impostors += 1
                return
            }
        }
        let now = monotonicNanos()
        if isBlocked(claimed) {
            if case .outbound = incoming.link { transport.hangUp(claimed) }
            return
        }
        table.upsert(signed, now: now, protecting: Set(peers.keys))
        let failedDials = table.connected(claimed, now: now)
        reportDialSuccess(claimed, after: failedDials)
        pendingDials[claimed] = nil
        let isNew = peers[claimed] == nil
        if isNew && peers.count >= config.maxConnections {
            // Full: hand out other peers instead, so the caller can go elsewhere.
            let records = table.records(among: Array(peers.keys), limit: config.peerExchangeCount).map(\.wire)
            outbox.append((incoming.link, Frame.peers(records).encoded()))
            if case .outbound = incoming.link { transport.hangUp(claimed) }
            return
        }
        var peer = peers[claimed] ?? ConnectedPeer(
            address: claimed, link: incoming.link, inboundRoutingID: nil,
            frames: TokenBucket(rate: config.rateFramesPerSecond, burst: config.rateFrameBurst, now: incoming.receivedAt),
            bytes: TokenBucket(rate: config.rateBytesPerSecond, burst: config.rateByteBurst, now: incoming.receivedAt),
            lastReceived: now, lastSent: now)
        switch incoming.link {
        case .outbound:
            peer.link = incoming.link
        case .inbound(let rid):
            if let old = peer.inboundRoutingID, old != rid { inboundRoutes[old] = nil }
            inboundRoutes[rid] = claimed
            helloRequested[rid] = nil
            peer.inboundRoutingID = rid
            if case .inbound = peer.link { peer.link = incoming.link }
            // Answer on the same link: the dialer learns our record and topics.
            outbox.append((incoming.link, helloFrame.encoded()))
        }
        if version > peer.topicsVersion {
            peer.topics = parseTopics(topics)
            peer.topicsVersion = version
        }
        let topicSet = peer.topics
        peer.record = signed
        peer.lastReceived = now
        peers[claimed] = peer
        guard isNew else { return }
        if case .outbound = incoming.link {
            // The HELLO we sent when dialing may predate a subscribe since; send the current set.
            enqueue(subscriptionsFrame, to: claimed)
        }
        for topic in subscriptions where topicSet.contains(topic) && (meshState.mesh[topic]?.count ?? 0) < config.meshDegreeLow
            && !meshState.inBackoff(topic, claimed, now: now) {
            meshState.mesh[topic, default: []].insert(claimed)
            enqueue(.graft([topic.description]), to: claimed)
        }
        if peers.count < config.targetConnections { enqueue(.peersRequest, to: claimed) }
        if lastRecordPublish == 0 { _ = try? publishPeerRecord() }
        requestHistory(now: now)
    }

    // MARK: Envelopes

    func handleEnvelope(_ bytes: [UInt8], from: Address) {
        // Most copies in a mesh are duplicates: recognise them by id before parsing anything.
        if bytes.count > Envelope.signatureBytes {
            let id = MessageID.of(bytes[0..<(bytes.count - Envelope.signatureBytes)])
            if seen.contains(id) {
                stats.duplicates += 1
                if seen.noteDuplicate(id, from: from) > 1 + config.duplicateAllowance {
                    stats.duplicateFloods += 1
                    penalize(from, .duplicateFlood)
                }
                return
            }
        }
        let envelope: Envelope
        do {
            envelope = try Envelope(wire: bytes, maxPayload: config.maxPayloadBytes)
        } catch {
            switch error {
            case .unknownTopic: stats.unknownTopics += 1; penalize(from, .unknownTopic)
            case .oversize: stats.oversize += 1; penalize(from, .malformedFrame)
            default: stats.invalidMessages += 1; penalize(from, .invalidMessage)
            }
            return
        }
        let now = monotonicNanos()
        let nowMs = UInt64(Date().timeIntervalSince1970 * 1000)
        if envelope.timestamp + UInt64(config.seenTTL * 1000) < nowMs {
            stats.replays += 1
            return
        }
        if envelope.timestamp > nowMs + UInt64(config.maxClockSkew * 1000) {
            stats.invalidMessages += 1
            penalize(from, .invalidMessage)
            return
        }
        guard envelope.verify() else {
            stats.badSignatures += 1
            penalize(from, .invalidMessage)
            return
        }
        let content: GossipMessage.Content
        do {
            content = try validate(envelope)
        } catch ValidationFailure.ignore {
            seen.insert(envelope.id, from: from, now: now)
            stats.moderated += 1
            return
        } catch {
            stats.invalidMessages += 1
            penalize(from, .invalidMessage)
            return
        }
        seen.insert(envelope.id, from: from, now: now)
        mcache.put(envelope)
        stats.accepted += 1
        peers[from]?.score.firstDeliveries += 1
        // Forward to the mesh: not back to the sender, the author, or anyone who sent it to us.
        if let mesh = meshState.mesh[envelope.topic] {
            let frame = Frame.publish([bytes]).encoded()
            for peer in mesh where peer != from && peer != envelope.author && !seen.hasSent(envelope.id, peer) {
                enqueue(encoded: frame, to: peer)
            }
        }
        let message = GossipMessage(envelope: envelope, content: content, receivedAt: now)
        apply(message)
        guard subscriptions.contains(envelope.topic) else { return }
        switch sequencer.accept(message, topic: envelope.topic, author: envelope.author, epoch: envelope.epoch,
                                seq: envelope.seq, now: now) {
        case .deliver(let items): for item in items { deliver(item) }
        case .held: break
        case .stale: stats.replays += 1
        }
    }

    enum ValidationFailure: Error { case reject(String), ignore }

    /// Items we put in one list of a frame: what a peer with the same config accepts.
    var listCap: Int { min(config.maxListItems, Int(UInt16.max)) }

    /// Topic rules on a verified envelope: the payload decodes, and the
    /// author may say it (a record about itself, an announcement or a
    /// moderation of its own stream, chat not silenced by the creator).
    func validate(_ envelope: Envelope) throws(ValidationFailure) -> GossipMessage.Content {
        let content: GossipMessage.Content
        do {
            content = try GossipMessage.Content.decode(topic: envelope.topic, payload: envelope.payload,
                                                       maxChatText: config.maxChatTextBytes)
        } catch {
            throw .reject(error.description)
        }
        switch (envelope.topic, content) {
        case (.peers, .peerRecord(let signed)):
            guard signed.record.address == envelope.author else { throw .reject("a record about someone else") }
        case (.streams, .announcement(let a)):
            guard a.creator == envelope.author else { throw .reject("an announcement not by the creator") }
        case (.moderation(let stream), .moderation):
            guard stream.creator == envelope.author else { throw .reject("moderation not by the creator") }
        case (.chat(let stream), .chat):
            if isSilenced(envelope.author, in: stream, at: envelope.timestamp) { throw .ignore }
        default:
            throw .reject("payload does not match the topic")
        }
        return content
    }

    // MARK: Mesh control

    /// A peer's full subscription set, applied only when newer than the one we hold.
    private func handleSubscriptions(version: UInt64, _ topics: [String], from: Address) {
        guard let peer = peers[from], version > peer.topicsVersion else { return }
        let unknown = stats.unknownTopics
        let set = parseTopics(topics)
        if stats.unknownTopics > unknown { penalize(from, .unknownTopic) }
        peers[from]?.topics = set
        peers[from]?.topicsVersion = version
        for topic in peer.topics where !set.contains(topic) { meshState.mesh[topic]?.remove(from) }
    }

    /// Known topics of a list; unknown ones are counted and skipped (a newer peer may know more).
    private func parseTopics(_ topics: [String]) -> Set<Topic> {
        var set: Set<Topic> = []
        for text in topics.prefix(config.maxListItems) {
            if let topic = try? Topic(text) { set.insert(topic) } else { stats.unknownTopics += 1 }
        }
        return set
    }

    private func handleIHave(topic text: String, ids: [MessageID], from: Address) {
        guard let peer = peers[from], peer.score.value(config) >= config.gossipThreshold else { return }
        guard let topic = try? Topic(text), subscriptions.contains(topic) else { return }
        let budget = max(0, config.maxIHaveLength - peer.ihaveThisHeartbeat)
        let considered = ids.prefix(min(budget, listCap))
        peers[from]?.ihaveThisHeartbeat += considered.count
        let now = monotonicNanos()
        var wanted: [MessageID] = []
        for id in considered where !seen.contains(id) {
            if let asked = iwantPending[id], asked + UInt64(config.heartbeatInterval * 3e9) > now { continue }
            iwantPending[id] = now
            wanted.append(id)
        }
        if !wanted.isEmpty { enqueue(.iwant(wanted), to: from) }
    }

    private func handleIWant(_ ids: [MessageID], from: Address) {
        guard let peer = peers[from], peer.score.value(config) >= config.gossipThreshold else { return }
        var batch: [[UInt8]] = []
        var size = 0
        for id in ids {
            guard let envelope = mcache.getForPeer(id, from, maxTransmissions: config.maxIWantRetransmissions) else {
                continue
            }
            if (size + envelope.wire.count + 64 > config.maxFrameBytes / 2 || batch.count >= listCap), !batch.isEmpty {
                enqueue(.publish(batch), to: from)
                batch.removeAll()
                size = 0
            }
            batch.append(envelope.wire)
            size += envelope.wire.count + 4
        }
        if !batch.isEmpty { enqueue(.publish(batch), to: from) }
    }

    private func handleGraft(_ topics: [String], from: Address) {
        let now = monotonicNanos()
        for text in topics {
            guard let topic = try? Topic(text) else { stats.unknownTopics += 1; penalize(from, .unknownTopic); continue }
            guard subscriptions.contains(topic) else { continue }
            let score = peers[from]?.score.value(config) ?? -1
            if meshState.inBackoff(topic, from, now: now) || score < 0 {
                enqueue(.prune(topics: [text], backoffSeconds: UInt32(config.pruneBackoff), peers: []), to: from)
                continue
            }
            meshState.mesh[topic, default: []].insert(from)
        }
    }

    private func handlePrune(_ topics: [String], backoff: UInt32, records: [[UInt8]], from: Address) {
        let now = monotonicNanos()
        let seconds = min(Double(backoff), config.pruneBackoff * 10)
        for text in topics {
            guard let topic = try? Topic(text) else { continue }
            meshState.mesh[topic]?.remove(from)
            meshState.addBackoff(topic, from, until: now + UInt64(seconds * 1e9))
        }
        handlePeerRecords(records, from: from)
    }

    func handlePeerRecords(_ records: [[UInt8]], from: Address) {
        let now = monotonicNanos()
        for bytes in records.prefix(config.peerExchangeCount * 4) {
            if !isNewRecord(bytes) { continue }
            guard let signed = try? SignedPeerRecord(wire: bytes) else {
                stats.invalidMessages += 1
                penalize(from, .invalidMessage)
                continue
            }
            if signed.record.address != address && !isBlocked(signed.record.address) {
                table.upsert(signed, now: now, protecting: Set(peers.keys))
            }
        }
    }

    /// Whether a record's bytes could change what we know: the same records
    /// come round again and again (peer exchange, prunes), and one no newer
    /// than what we hold is dropped before its signature is checked, the
    /// costliest step of taking it (a tenth of a gossiping node's CPU).
    func isNewRecord(_ bytes: [UInt8]) -> Bool {
        guard let seen = SignedPeerRecord.unverifiedRecord(bytes) else { return true }   // checked, and refused, next
        let held = peers[seen.address]?.record?.record.seq ?? table[seen.address]?.record?.record.seq
        return held.map { seen.seq > $0 } ?? true
    }

    // MARK: Chat history

    private func handleHistoryRequest(topic text: String, limit: Int, from: Address) {
        guard let history, let topic = try? Topic(text), case .chat(let stream) = topic else { return }
        guard let envelopes = try? history.recent(stream, limit: min(limit, config.chatHistoryLimit),
                                                  maxPayload: config.maxPayloadBytes) else { return }
        var batch: [[UInt8]] = []
        var size = 0
        for envelope in envelopes {
            if (size + envelope.wire.count + 64 > config.maxFrameBytes / 2 || batch.count >= listCap), !batch.isEmpty {
                enqueue(.history(topic: text, envelopes: batch), to: from)
                batch.removeAll()
                size = 0
            }
            batch.append(envelope.wire)
            size += envelope.wire.count + 4
        }
        enqueue(.history(topic: text, envelopes: batch), to: from)
    }

    private func handleHistory(topic text: String, envelopes: [[UInt8]], from: Address) {
        guard let history, let topic = try? Topic(text), case .chat(let stream) = topic else { return }
        let nowMs = UInt64(Date().timeIntervalSince1970 * 1000)
        for bytes in envelopes {
            guard peers[from] != nil else { return }
            guard let envelope = try? Envelope(wire: bytes, maxPayload: config.maxPayloadBytes),
                  envelope.topic == topic, envelope.timestamp <= nowMs + UInt64(config.maxClockSkew * 1000) else {
                stats.invalidMessages += 1
                penalize(from, .invalidMessage)
                continue
            }
            if (try? history.contains(envelope, stream: stream)) == true { continue }
            guard envelope.verify() else {
                stats.badSignatures += 1
                penalize(from, .invalidMessage)
                continue
            }
            do {
                _ = try validate(envelope)
            } catch ValidationFailure.ignore {
                stats.moderated += 1
                continue
            } catch {
                stats.invalidMessages += 1
                penalize(from, .invalidMessage)
                continue
            }
            if (try? history.store(envelope, stream: stream)) == true { stats.historyStored += 1 }
        }
    }

    func requestHistory(now: UInt64) {
        guard history != nil else { needsHistory.removeAll(); return }
        for topic in needsHistory {
            let holders = peers.values.filter { $0.topics.contains(topic) }.map(\.address).shuffled()
            guard !holders.isEmpty else { continue }
            for peer in holders.prefix(config.historyPeers) {
                enqueue(.historyRequest(topic: topic.description, limit: UInt16(min(config.chatHistoryLimit, 65535))),
                        to: peer)
            }
            needsHistory.remove(topic)
        }
    }

    // MARK: Score and dropping

    func penalize(_ peer: Address, _ offence: Offence) {
        guard peers[peer] != nil else { return }
        switch offence {
        case .invalidMessage: peers[peer]?.score.invalidMessages += 1
        case .malformedFrame: peers[peer]?.score.malformedFrames += 1
        case .duplicateFlood: peers[peer]?.score.duplicateFloods += 1
        case .rateLimited: peers[peer]?.score.rateLimited += 1
        case .unknownTopic: peers[peer]?.score.unknownTopics += 1
        }
        if let score = peers[peer]?.score.value(config), score < config.graylistThreshold {
            drop(peer)
        }
    }

    /// Drops a peer whose score fell below the graylist: closes the link,
    /// forgets its record and blocks its address (and CURVE key) for a while.
    func drop(_ peer: Address) {
        stats.peersDropped += 1
        blocked[peer] = monotonicNanos() + UInt64(config.blockDuration * 1e9)
        if let key = try? peer.curvePublicKey() { blockedKeys.insert(ZMQ.hex(key)) }
        disconnect(peer, failed: false)
        table.remove(peer)
    }

    func disconnect(_ peer: Address, failed: Bool) {
        if let removed = peers.removeValue(forKey: peer), let rid = removed.inboundRoutingID {
            inboundRoutes[rid] = nil
        }
        meshState.removePeer(peer)
        pendingDials[peer] = nil
        transport.hangUp(peer)
        if failed {
            let now = monotonicNanos()
            table.dialFailed(peer, now: now, base: config.redialBackoffBase, cap: config.redialBackoffMax)
            reportDialFailure(peer, now: now)
        }
    }
}
