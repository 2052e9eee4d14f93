import Dispatch
import Synchronization

/// Where blocking calls (libcurl transfers, and what a caller does around
/// them, such as reading a file to upload) run when async code makes them:
/// threads of Dispatch, never Swift's cooperative pool, which has one thread
/// per core and would stall every task behind a slow server.
///
/// `width` bounds how many calls run at once (the rest wait in order).
/// After `shutdown()` no new call starts: calls still waiting, and later
/// ones, throw `CancellationError`; `shutdown()` returns once the running
/// ones have finished, so what they use can be closed after it.
public final class BlockingWork: Sendable {
    /// Unbounded, never shut down: for requests made from async code
    /// anywhere in the process (Solana JSON-RPC).
    public static let shared = BlockingWork(label: "peernode.curlhttp.shared", width: .max)

    private struct State {
        var running = 0
        var waiting: [@Sendable (_ start: Bool) -> Void] = []
        var active = true
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    private let queue: DispatchQueue
    private let width: Int
    private let state = Mutex(State())

    public init(label: String, width: Int) {
        precondition(width > 0, "a pool runs at least one call at a time")
        queue = DispatchQueue(label: label, attributes: .concurrent)
        self.width = width
    }

    /// Calls running and calls waiting for a thread (what tests wait on,
    /// rather than on timings).
    var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiting.count) } }

    /// Runs `body` on one of the pool's threads and returns what it returns.
    /// A caller that gives up (its task is cancelled) before `body` began
    /// gets `CancellationError`, and `body` never runs.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let givenUp = Flag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                submit { start in
                    guard start, !givenUp.isSet else { return continuation.resume(throwing: CancellationError()) }
                    continuation.resume(with: Result { try body() })
                }
            }
        } onCancel: {
            givenUp.set()
        }
    }

    /// Refuses new calls and waits until the running ones are done.
    public func shutdown() async {
        let refused: [@Sendable (Bool) -> Void] = state.withLock { state in
            state.active = false
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for job in refused { job(false) }
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.running == 0 { return true }
                state.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func submit(_ job: @escaping @Sendable (Bool) -> Void) {
        enum Decision { case refuse, start, wait }
        let decision: Decision = state.withLock { state in
            guard state.active else { return .refuse }
            guard state.running < width else { state.waiting.append(job); return .wait }
            state.running += 1
            return .start
        }
        switch decision {
        case .refuse: job(false)
        case .start: start(job)
        case .wait: break
        }
    }

    private func start(_ job: @escaping @Sendable (Bool) -> Void) {
        queue.async {
            job(true)
            self.finished()
        }
    }

    /// One call ended: the next waiting one takes its place, or the count drops.
    private func finished() {
        let (next, drained): ((@Sendable (Bool) -> Void)?, [CheckedContinuation<Void, Never>]) = state.withLock { state in
            if state.active, !state.waiting.isEmpty { return (state.waiting.removeFirst(), []) }
            state.running -= 1
            guard state.running == 0 else { return (nil, []) }
            defer { state.drained.removeAll() }
            return (nil, state.drained)
        }
        if let next { start(next) }
        for continuation in drained { continuation.resume() }
    }
}

private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
