import Foundation

/// Polls `condition` every `interval` seconds until it gives a value; after
/// `timeout` seconds throws "timed out after N s waiting for WHAT", with the
/// last error seen. A `LabFailure` ends the wait at once.
public func waitForValue<T>(_ what: String, timeout: Double, interval: Double = 0.2,
                       _ condition: () throws -> T?) throws -> T {
    let deadline = Date().addingTimeInterval(timeout)
    var lastError: (any Error)?
    repeat {
        do {
            if let value = try condition() { return value }
        } catch let error as LabFailure {
            throw error
        } catch {
            lastError = error
        }
        Thread.sleep(forTimeInterval: interval)
    } while Date() < deadline
    throw LabError("timed out after \(Int(timeout)) s waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
}

/// The same for a yes/no condition (a name of its own: with one name, Swift
/// may pick the generic form for a Bool closure, which returns at once) (a minute and 100 ms polls unless told).
public func waitFor(_ what: String, timeout: Double = 60, interval: Double = 0.1, _ condition: () throws -> Bool) throws {
    let _: Bool = try waitForValue(what, timeout: timeout, interval: interval) { try condition() ? true : nil }
}

/// Async code's form: polls `condition` every `poll` seconds until it holds
/// or `timeout` passes; returns whether it held. Bounded in time and in rounds.
public func waitUntil(timeout: Double, poll: Double = 0.05, _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    let maxRounds = Int(timeout / poll) + 2
    for _ in 0..<maxRounds {
        if await condition() { return true }
        if Date() >= deadline { return false }
        try? await Task.sleep(nanoseconds: UInt64(poll * 1e9))
    }
    return await condition()
}

/// Async code's form with a name for the failure: polls `condition` every
/// `poll` seconds until it holds; after `timeout` seconds throws "timed out
/// after N s waiting for WHAT" (with the last error the condition threw).
/// A `LabFailure` ends the wait at once.
public func waitUntil(_ what: String, timeout: Double, poll: Double = 0.1,
                      _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    let maxRounds = Int(timeout / poll) + 2
    var lastError: (any Error)?
    for _ in 0..<maxRounds {
        do {
            if try await condition() { return }
        } catch let error as LabFailure {
            throw error
        } catch {
            lastError = error
        }
        if Date() >= deadline { break }
        try await Task.sleep(nanoseconds: UInt64(poll * 1e9))
    }
    throw LabError("timed out after \(Int(timeout)) s waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
}
