import Foundation

/// Results go to stdout (as JSON with --json); progress and notes to stderr.
enum Output {
    static func json<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) {
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }

    /// A number as the daemon's JSON wrote it: 1 for 1.0 (JSONEncoder's way), 0.5 for 0.5.
    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// A one-line progress meter on stderr, shown when stderr is a terminal (or
/// when asked), redrawn at most ten times a second.
final class ProgressMeter {
    let label: String
    let enabled: Bool
    let asLines: Bool
    private var lastDraw: UInt64 = 0
    private let start = DispatchTime.now().uptimeNanoseconds

    init(label: String, force: Bool = false) {
        self.label = label
        let tty = isatty(STDERR_FILENO) == 1
        enabled = tty || force
        asLines = !tty
    }

    func update(_ done: UInt64, _ total: UInt64) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDraw > 100_000_000 || done == total else { return }
        lastDraw = now
        let seconds = Double(now - start) / 1e9
        let rate = seconds > 0 ? Double(done) / seconds / 1e6 : 0
        let percent = total > 0 ? Double(done) * 100 / Double(total) : 100
        let line = String(format: "%@ %llu/%llu bytes (%.0f%%, %.0f MB/s)", label, done, total, percent, rate)
        FileHandle.standardError.write(Data((asLines ? line + "\n" : "\r" + line).utf8))
    }

    func finish() {
        if enabled && !asLines { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
