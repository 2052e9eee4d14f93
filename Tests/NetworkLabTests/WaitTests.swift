import Foundation
import NetworkLab
import Testing

/// The lab's one wait family: every form ends by its deadline, says what it
/// waited for, and stops at once on a `LabFailure`.
@Suite struct WaitTests {
    @Test func waitForReturnsOnceTheConditionHoldsAndNamesWhatTimedOut() throws {
        let start = Date()
        var rounds = 0
        try waitFor("three rounds", timeout: 5, interval: 0.01) { rounds += 1; return rounds >= 3 }
        #expect(rounds == 3)
        #expect(Date().timeIntervalSince(start) < 2)

        struct Flaky: Error, CustomStringConvertible { var description: String { "not yet" } }
        let error = #expect(throws: LabError.self) {
            try waitFor("a thing that never happens", timeout: 0.3, interval: 0.05) { throw Flaky() }
        }
        #expect(error?.description == "timed out after 0 s waiting for a thing that never happens (last error: not yet)")
    }

    @Test func aLabFailureEndsTheWaitAtOnce() throws {
        let start = Date()
        var rounds = 0
        #expect(throws: LabFailure.self) {
            try waitFor("a process that died", timeout: 30, interval: 0.01) {
                rounds += 1
                throw LabFailure("it exited")
            }
        }
        #expect(rounds == 1)
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func waitForValueHandsBackTheValue() throws {
        var calls = 0
        let value: Int = try waitForValue("the second call", timeout: 5, interval: 0.01) {
            calls += 1
            return calls == 2 ? 42 : nil
        }
        #expect(value == 42 && calls == 2)
    }

    @Test func asyncFormsAreBoundedByTheirDeadline() async throws {
        let start = Date()
        #expect(await waitUntil(timeout: 0.3, poll: 0.05) { false } == false)
        #expect(await waitUntil(timeout: 5, poll: 0.05) { true })
        let error = await #expect(throws: LabError.self) {
            try await waitUntil("an async thing that never happens", timeout: 0.3, poll: 0.05) { false }
        }
        #expect(error?.description.hasPrefix("timed out after 0 s waiting for an async thing that never happens") == true)
        #expect(Date().timeIntervalSince(start) < 5, "three short waits took \(Date().timeIntervalSince(start)) s")
    }
}
