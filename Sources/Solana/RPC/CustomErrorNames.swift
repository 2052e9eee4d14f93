import Synchronization

/// Names for programs' custom error codes (`{"Custom": n}`), so a failed
/// transaction says what went wrong. This module knows no program's codes:
/// the module that speaks to a program registers their names, as
/// Foundation's NSError takes a user-info provider per error domain.
public enum CustomErrorNames {
    private static let providers = Mutex<[@Sendable (UInt32) -> String?]>([])

    public static func register(_ provider: @escaping @Sendable (UInt32) -> String?) {
        providers.withLock { $0.append(provider) }
    }

    /// The first registered name of `code`, if any.
    public static func name(of code: UInt32) -> String? {
        providers.withLock { list in list.lazy.compactMap { $0(code) }.first }
    }
}
