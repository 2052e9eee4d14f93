import Logging
import Synchronization

/// Says a repeated log line once per key and interval, then how often it
/// was held back: a viewer that cannot pay gets hundreds of refusals a
/// second, and the one line that says why (and what to do) must not drown.
final class LogLimiter: Sendable {
    private struct Entry { var last: ContinuousClock.Instant; var held = 0 }
    private let entries = Mutex<[String: Entry]>([:])
    let interval: Duration
    static let maxKeys = 4096

    init(interval: Duration = .seconds(10)) { self.interval = interval }

    /// Logs through `emit` when `key` was not logged within the interval; the
    /// metadata then says how many lines were held back since.
    func log(_ key: String, _ logger: Logger, _ level: Logger.Level, _ message: Logger.Message,
             _ metadata: Logger.Metadata = [:]) {
        let now = ContinuousClock.now
        let held: Int? = entries.withLock { all in
            if let entry = all[key], now - entry.last < interval {
                all[key]?.held += 1
                return nil
            }
            if all.count >= Self.maxKeys { all.removeAll(keepingCapacity: true) }
            let held = all[key]?.held ?? 0
            all[key] = Entry(last: now)
            return held
        }
        guard let held else { return }
        var metadata = metadata
        if held > 0 { metadata["repeated"] = "\(held) more times in the last \(interval)" }
        logger.log(level: level, message, metadata: metadata)
    }
}
