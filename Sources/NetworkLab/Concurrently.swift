import Foundation

/// Runs `jobs` on threads of their own (they block on HTTP and on ffmpeg,
/// and must run at the same time: a live stream is watched in real time)
/// and waits for all; throws the first error.
public func runConcurrently(_ jobs: [@Sendable () throws -> Void]) throws {
    let errors = ErrorList()
    let group = DispatchGroup()
    for job in jobs {
        group.enter()
        let thread = Thread {
            do { try job() } catch { errors.append(error) }
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
    if let first = errors.first { throw first }
}

/// Work started on a thread of its own now, its result taken later.
/// The result is written once by the thread and read after the semaphore
/// says so; the lock makes that explicit, so `@unchecked Sendable` is safe.
public final class Background<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, any Error>?

    public init(_ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            let r = Result { try body() }
            lock.withLock { result = r }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the work and returns its value or throws its error.
    public func value() throws -> T {
        done.wait()
        done.signal()
        guard let result = lock.withLock({ result }) else { throw LabError("internal: background work ended without a result") }
        return try result.get()
    }
}

/// Errors collected from threads; guarded by its lock.
private final class ErrorList: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func append(_ e: any Error) { lock.withLock { errors.append(e) } }
    var first: (any Error)? { lock.withLock { errors.first } }
}


/// Runs async work from synchronous code (a command, a thread of the demo):
/// the calling thread waits, the work runs on the task pool. `slow` is told
/// the seconds waited so far, after 1 s and then every 10 s.
@discardableResult
public func runBlocking<T: Sendable>(slow: ((Int) -> Void)? = nil,
                                     _ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = BlockingResult<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
        done.signal()
    }
    var waited = 0
    while done.wait(timeout: .now() + .seconds(waited == 0 ? 1 : 10)) == .timedOut {
        waited += waited == 0 ? 1 : 10
        slow?(waited)
    }
    return try box.get()
}

/// The result of `runBlocking`'s task, written once before the semaphore
/// is signalled and read after; the lock makes that explicit.
private final class BlockingResult<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ r: Result<T, any Error>) { lock.withLock { result = r } }
    func get() throws -> T {
        guard let result = lock.withLock({ result }) else { throw LabError("internal: blocking work ended without a result") }
        return try result.get()
    }
}
