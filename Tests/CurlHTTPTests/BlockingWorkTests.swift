@testable import CurlHTTP
import Foundation
import Synchronization
import Testing

/// The pool blocking calls run on: bounded, off the cooperative pool, and a
/// shutdown that waits for what runs and refuses the rest.
@Suite struct BlockingWorkTests {
    final class Counter: Sendable {
        let now = Atomic<Int>(0)
        let most = Atomic<Int>(0)

        func enter() {
            let n = now.add(1, ordering: .relaxed).newValue
            while true {
                let m = most.load(ordering: .relaxed)
                if n <= m || most.compareExchange(expected: m, desired: n, ordering: .relaxed).exchanged { return }
            }
        }

        func leave() { now.subtract(1, ordering: .relaxed) }
    }

    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set() { value.store(true, ordering: .relaxed) }
    }

    /// Blocks (a pool thread, or the test) until `condition` holds, at most
    /// 10 s; the tests wait on states, never on how long a step should take
    /// (a loaded CI machine takes longer).
    @discardableResult
    static func await(_ condition: () -> Bool) -> Bool {
        for _ in 0..<10_000 {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.001)
        }
        return condition()
    }

    /// The same for the test's own task: it must not hold a thread of the
    /// cooperative pool, which the tasks it waits for need.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<10_000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return condition()
    }

    @Test func runsAtMostWidthCallsAtOnceAndReturnsTheirResults() async throws {
        let work = BlockingWork(label: "test.width", width: 2)
        let counter = Counter()
        let begun = Counter()   // its `now` counts the calls that began
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<8 {
                group.addTask {
                    try await work.run {
                        counter.enter()
                        defer { counter.leave() }
                        // Hold the thread until two calls have run at once (the last one has none left to wait for).
                        let entered = begun.now.add(1, ordering: .relaxed).newValue
                        Self.await { counter.most.load(ordering: .relaxed) >= 2 || entered == 8 }
                        return i
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.sorted() == Array(0..<8))
        #expect(counter.most.load(ordering: .relaxed) == 2)
    }

    @Test func errorsPassThrough() async {
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await BlockingWork.shared.run { throw Boom() } }
    }

    @Test func shutdownWaitsForRunningCallsAndRefusesWaitingAndLaterOnes() async throws {
        let work = BlockingWork(label: "test.shutdown", width: 1)
        let started = Flag(), release = Flag(), finished = Flag(), shutDown = Flag()
        let running = Task {
            try await work.run {
                started.set()
                Self.await { release.isSet }
                finished.set()
            }
        }
        #expect(await Self.eventually { started.isSet })
        let waiting = Task { try await work.run { 1 } }
        #expect(await Self.eventually { work.load.waiting == 1 })
        let shutdown = Task {
            await work.shutdown()
            shutDown.set()
        }
        // It refuses the waiting call at once, and waits for the running one.
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(!shutDown.isSet, "shutdown returned while a call was running")
        release.set()
        await shutdown.value
        #expect(finished.isSet, "shutdown returned before the running call ended")
        try await running.value
        await #expect(throws: CancellationError.self) { try await work.run { 2 } }
    }

    @Test func aCallerThatGaveUpBeforeItsCallBeganIsNotRun() async throws {
        let work = BlockingWork(label: "test.cancel", width: 1)
        let started = Flag(), release = Flag(), ran = Flag()
        let blocker = Task { try await work.run { started.set(); Self.await { release.isSet } } }
        #expect(await Self.eventually { started.isSet })
        let givenUp = Task { try await work.run { ran.set() } }
        #expect(await Self.eventually { work.load.waiting == 1 })
        givenUp.cancel()
        // Its turn comes when the blocker ends: it is told then, and never run.
        release.set()
        await #expect(throws: CancellationError.self) { try await givenUp.value }
        try await blocker.value
        #expect(!ran.isSet)
    }
}
