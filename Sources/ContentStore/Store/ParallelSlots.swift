/// One result slot per parallel iteration (`DispatchQueue.concurrentPerform`).
///
/// `@unchecked Sendable`: the slots are a fixed allocation (never moved or
/// resized); iteration `i` writes only slot `i`, and the slots are read
/// (`take`) only after `concurrentPerform` has returned, which orders every
/// write before the read.
final class ParallelSlots<Value>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    subscript(index: Int) -> Value? {
        get { slots[index] }
        set { slots[index] = newValue }
    }

    func take() -> [Value?] { Array(slots) }
}

/// Carries a value the compiler cannot prove Sendable into a parallel loop.
/// Only for values the loop uses read-only or by disjoint index (each use
/// says why it is safe).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
