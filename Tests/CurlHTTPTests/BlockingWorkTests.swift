import CurlHTTP
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

    @Test func runsAtMostWidthCallsAtOnceAndReturnsTheirResults() async throws {
        let work = BlockingWork(label: "test.width", width: 2)
        let counter = Counter()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<8 {
                group.addTask {
                    try await work.run {
                        counter.enter()
                        defer { counter.leave() }
                        Thread.sleep(forTimeInterval: 0.02)
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
        let finished = Flag()
        let running = Task { try await work.run { Thread.sleep(forTimeInterval: 0.2); finished.set() } }
        try await Task.sleep(for: .milliseconds(50))
        let waiting = Task { try await work.run { 1 } }
        try await Task.sleep(for: .milliseconds(20))
        await work.shutdown()
        #expect(finished.isSet, "shutdown returned before the running call ended")
        try await running.value
        await #expect(throws: CancellationError.self) { try await waiting.value }
        await #expect(throws: CancellationError.self) { try await work.run { 2 } }
    }

    @Test func aCallerThatGaveUpBeforeItsCallBeganIsNotRun() async throws {
        let work = BlockingWork(label: "test.cancel", width: 1)
        let ran = Flag()
        let blocker = Task { try await work.run { Thread.sleep(forTimeInterval: 0.2) } }
        try await Task.sleep(for: .milliseconds(50))
        let givenUp = Task { try await work.run { ran.set() } }
        try await Task.sleep(for: .milliseconds(20))
        givenUp.cancel()
        await #expect(throws: CancellationError.self) { try await givenUp.value }
        try await blocker.value
        #expect(!ran.isSet)
    }
}
