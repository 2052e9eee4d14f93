import Identity
import Transport

extension GossipNode {
    /// Once per `heartbeatInterval`: score decay, liveness, mesh upkeep,
    /// IHAVE gossip, cache windows, held-message release, dials and peer exchange.
    func heartbeat() {
        guard !stopped else { return }
        let now = monotonicNanos()
        let timeout = UInt64(config.peerTimeout * 1e9)
        let keepAlive = UInt64(config.keepAliveInterval * 1e9)

        for address in Array(peers.keys) {
            guard var peer = peers[address] else { continue }
            peer.score.decay(config.scoreDecay)
            peer.ihaveThisHeartbeat = 0
            peers[address] = peer
            if now > peer.lastReceived + timeout {
                disconnect(address, failed: true)
            } else if now > peer.lastSent + keepAlive {
                enqueue(.ping, to: address)
            }
        }
        let dialTimeout = UInt64(config.dialTimeout * 1e9)
        for (address, started) in pendingDials where now > started + dialTimeout {
            pendingDials[address] = nil
            if peers[address] == nil { disconnect(address, failed: true) }
        }

        maintainMeshes(now: now)
        emitGossip()
        mcache.shift()
        seen.expire(now: now)
        for message in sequencer.flush(now: now, window: UInt64(config.reorderWindow * 1e9),
                                       idle: UInt64(config.seenTTL * 1e9)) {
            deliver(message)
        }
        blocked = blocked.filter { $0.value > now }
        if blocked.isEmpty { blockedKeys.removeAll() }
        helloRequested.removeAll()
        let iwantWindow = UInt64(config.heartbeatInterval * 3e9)
        iwantPending = iwantPending.filter { $0.value + iwantWindow > now }

        dialMore(now: now)
        if peers.count < config.targetConnections, let someone = peers.keys.randomElement() {
            enqueue(.peersRequest, to: someone)
        }
        if !peers.isEmpty,
           lastRecordPublish == 0 || now > lastRecordPublish + UInt64(config.peerRecordRepublish * 1e9) {
            _ = try? publishPeerRecord()
        }
        requestHistory(now: now)
        flush()
    }

    private func maintainMeshes(now: UInt64) {
        let backoff = UInt64(config.pruneBackoff * 1e9)
        for topic in subscriptions {
            let candidates = peers.values.filter { $0.topics.contains(topic) }.map(\.address)
            let scores = Dictionary(uniqueKeysWithValues: peers.map { ($0.key, $0.value.score.value(config)) })
            let (graft, prune) = meshState.maintain(topic, candidates: candidates, score: { scores[$0] ?? -1 },
                                                    config: config, now: now)
            for peer in graft { enqueue(.graft([topic.description]), to: peer) }
            for peer in prune {
                meshState.addBackoff(topic, peer, until: now + backoff)
                let others = peers.keys.filter { $0 != peer }
                let px = table.records(among: others, limit: config.peerExchangeCount).map(\.wire)
                enqueue(.prune(topics: [topic.description], backoffSeconds: UInt32(config.pruneBackoff), peers: px),
                        to: peer)
            }
        }
        meshState.expire(now: now, fanoutTTL: UInt64(config.fanoutTTL * 1e9))
    }

    /// IHAVE to a few subscribed peers outside the mesh, so a message a
    /// mesh path lost is fetched with IWANT.
    private func emitGossip() {
        let topics = subscriptions.union(meshState.fanout.keys)
        for topic in topics {
            let ids = mcache.gossipIDs(for: topic)
            guard !ids.isEmpty else { continue }
            let excluded = (meshState.mesh[topic] ?? []).union(meshState.fanout[topic] ?? [])
            let targets = peers.values.filter {
                $0.topics.contains(topic) && !excluded.contains($0.address)
                    && $0.score.value(config) >= config.gossipThreshold
            }.map(\.address).shuffled().prefix(config.gossipDegree)
            guard !targets.isEmpty else { continue }
            let frame = Frame.ihave(topic: topic.description, ids: Array(ids.suffix(min(config.maxIHaveLength, listCap)))).encoded()
            for peer in targets { enqueue(encoded: frame, to: peer) }
        }
    }

    /// Dials known peers while below the target number of connections.
    func dialMore(now: UInt64) {
        let active = peers.count + pendingDials.count
        guard active < config.targetConnections else { return }
        var excluded = Set(peers.keys).union(pendingDials.keys).union(blocked.keys)
        excluded.insert(address)
        let wanted = min(config.dialsPerHeartbeat, config.targetConnections - active)
        for entry in table.dialCandidates(now: now, excluding: excluded, limit: wanted) {
            guard let endpoint = entry.dialEndpoint, let key = try? entry.address.curvePublicKey() else { continue }
            transport.dial(entry.address, endpoint: endpoint, serverKey: key)
            pendingDials[entry.address] = now
            // Queued after the dial command, so the DEALER exists when it is sent.
            outbox.append((.outbound(entry.address), helloFrame.encoded()))
        }
    }
}
