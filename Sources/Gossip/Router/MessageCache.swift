import Identity

/// Recent full messages, in heartbeat windows, for answering IWANT and for
/// the ids advertised in IHAVE (gossipsub's mcache): `historyLength`
/// windows are kept, the newest `historyGossip` are advertised.
struct MessageCache {
    private var messages: [MessageID: Envelope] = [:]
    private var windows: [[MessageID]]
    private var transmissions: [MessageID: [Address: Int]] = [:]
    let gossipWindows: Int

    init(historyLength: Int, historyGossip: Int) {
        windows = Array(repeating: [], count: max(1, historyLength))
        gossipWindows = max(1, min(historyGossip, historyLength))
    }

    var count: Int { messages.count }

    mutating func put(_ envelope: Envelope) {
        guard messages[envelope.id] == nil else { return }
        messages[envelope.id] = envelope
        windows[0].append(envelope.id)
    }

    func get(_ id: MessageID) -> Envelope? { messages[id] }

    /// The message for an IWANT from `peer`, unless it has asked too often.
    mutating func getForPeer(_ id: MessageID, _ peer: Address, maxTransmissions: Int) -> Envelope? {
        guard let envelope = messages[id] else { return nil }
        let sent = transmissions[id]?[peer] ?? 0
        guard sent < maxTransmissions else { return nil }
        transmissions[id, default: [:]][peer] = sent + 1
        return envelope
    }

    /// Ids to advertise for a topic.
    func gossipIDs(for topic: Topic) -> [MessageID] {
        var ids: [MessageID] = []
        for window in windows.prefix(gossipWindows) {
            for id in window where messages[id]?.topic == topic { ids.append(id) }
        }
        return ids
    }

    /// Starts a new window and forgets the oldest one.
    mutating func shift() {
        if let last = windows.last {
            for id in last {
                messages[id] = nil
                transmissions[id] = nil
            }
        }
        windows.removeLast()
        windows.insert([], at: 0)
    }
}
