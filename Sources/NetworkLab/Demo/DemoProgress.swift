import Foundation

/// One line per step on stderr, with the seconds since the start, so a user
/// sees what the demo is doing while it runs (stdout keeps the summary).
/// Used from several threads; the lock keeps lines whole.
final class DemoProgress: @unchecked Sendable {
    private let start = Date()
    private let lock = NSLock()

    var elapsed: Double { Date().timeIntervalSince(start) }

    func step(_ text: String) {
        line(String(format: "[%5.1f s] ", elapsed) + text)
    }

    /// A detail under the current step.
    func note(_ text: String) {
        line("           " + text)
    }

    private func line(_ text: String) {
        lock.withLock { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }
}
