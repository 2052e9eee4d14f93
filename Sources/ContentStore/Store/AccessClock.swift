#if canImport(Glibc)
import Glibc
#endif

/// Access times for LRU: wall-clock nanoseconds, forced strictly increasing
/// within the process so two reads in the same tick still order.
struct AccessClock {
    private var last: UInt64 = 0

    mutating func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let wall = UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
        last = Swift.max(wall, last &+ 1)
        return last
    }
}
