/// One holder at a time per key, others wait their turn in arrival order:
/// what keeps two payments to the same payee from opening two channels or
/// topping one up twice, and two claims of one channel from racing.
/// (An actor's own methods interleave at every `await`; this does not.)
actor KeyedLock<Key: Hashable & Sendable> {
    private var held: Set<Key> = []
    private var waiting: [Key: [CheckedContinuation<Void, Never>]] = [:]

    func lock(_ key: Key) async {
        guard held.contains(key) else { held.insert(key); return }
        await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    /// Hands the key to the next waiter, or frees it.
    func unlock(_ key: Key) {
        if var queue = waiting[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            held.remove(key)
        }
    }

    /// Runs `body` holding `key`.
    func withLock<T: Sendable, E: Error>(_ key: Key, _ body: @Sendable () async throws(E) -> T) async throws(E) -> T {
        await lock(key)
        do {
            let result = try await body()
            unlock(key)
            return result
        } catch {
            unlock(key)
            throw error
        }
    }
}
