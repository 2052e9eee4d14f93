import Foundation

/// Hands hashed chunks from the thread that reads and hashes a file to the
/// thread that writes them into LMDB, so hashing and disk writes overlap.
/// A fixed pool of buffers bounds memory and makes the faster side wait.
///
/// `@unchecked Sendable`: every field is read and written only while
/// holding `condition`; a buffer belongs to exactly one side at a time (it
/// moves from `free` to the producer, through `ready` to the consumer, and
/// back to `free`).
final class ChunkHandoff: @unchecked Sendable {
    struct Item {
        let buffer: UnsafeMutableRawBufferPointer
        let count: Int
        let cid: CID
        var key: [UInt8] { cid.bytes }
        var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }
    }

    private let condition = NSCondition()
    private var free: [UnsafeMutableRawBufferPointer]
    private var ready: [Item] = []
    private var readyHead = 0
    private var producerDone = false
    private var failed: (any Error)?
    private let all: [UnsafeMutableRawBufferPointer]

    init(buffers: Int, bufferSize: Int) {
        all = (0..<buffers).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64) }
        free = all
    }

    deinit { for b in all { b.deallocate() } }

    /// A buffer to fill; waits for one, throws the consumer's error if it failed.
    func takeFree() throws -> UnsafeMutableRawBufferPointer {
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty && failed == nil { condition.wait() }
        if let failed { throw failed }
        return free.removeLast()
    }

    func push(_ item: Item) {
        condition.lock()
        ready.append(item)
        condition.broadcast()
        condition.unlock()
    }

    /// The producer has pushed its last item (or gave up).
    func finishProducing() {
        condition.lock()
        producerDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next item, waiting for it; nil once the producer is done and
    /// everything was taken.
    func pop() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while readyHead == ready.count && !producerDone { condition.wait() }
        guard readyHead < ready.count else { return nil }
        let item = ready[readyHead]
        readyHead += 1
        if readyHead == ready.count {
            ready.removeAll(keepingCapacity: true)
            readyHead = 0
        }
        return item
    }

    /// The consumer's error, if it failed.
    var failure: (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        return failed
    }

    /// True when nothing is waiting and nothing more will come.
    var isDrained: Bool {
        condition.lock()
        defer { condition.unlock() }
        return producerDone && readyHead == ready.count
    }

    func giveBack(_ buffer: UnsafeMutableRawBufferPointer) {
        condition.lock()
        free.append(buffer)
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer failed: wake and stop the producer.
    func fail(_ error: any Error) {
        condition.lock()
        if failed == nil { failed = error }
        condition.broadcast()
        condition.unlock()
    }
}
