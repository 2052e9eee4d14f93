import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a running process has cost so far, from Linux's /proc: CPU seconds
/// (user + system) and its peak resident memory. What the report states per
/// node, so a run shows what a daemon costs on this machine.
struct ProcessUsage: Codable, Sendable, Equatable {
    var cpuSeconds: Double
    var peakMemoryBytes: UInt64

    /// nil when the process is gone or /proc does not say.
    static func read(pid: Int32) -> ProcessUsage? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return parse(stat: stat, status: status, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// `stat`: fields after the command name (which may hold spaces, so it
    /// is cut at its closing parenthesis); utime and stime are fields 14 and 15.
    /// `status`: the VmHWM line, in kB.
    static func parse(stat: String, status: String, ticksPerSecond: Double) -> ProcessUsage? {
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field N is fields[N - 3].
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let hwm = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .flatMap { UInt64($0.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
        guard let kb = hwm else { return nil }
        return ProcessUsage(cpuSeconds: (user + system) / ticksPerSecond, peakMemoryBytes: kb * 1024)
    }
}
