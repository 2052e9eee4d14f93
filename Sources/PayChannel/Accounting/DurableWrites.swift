import Dispatch

/// Runs the voucher book's synced writes on a thread of their own. Each one
/// ends with an fsync (milliseconds); on Swift's cooperative pool, which has
/// one thread per core, that would stall chunk hashing and the exchange.
/// One serial queue: LMDB admits one writer at a time anyway.
enum DurableWrites {
    private static let queue = DispatchQueue(label: "peernode.paychannel.durable-writes")

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(VoucherError) -> T) async throws(VoucherError) -> T {
        let result: Result<T, VoucherError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(VoucherError) { continuation.resume(returning: .success(try body())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
