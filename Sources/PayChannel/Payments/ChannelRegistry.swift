import Identity
import LMDB
import Solana

/// The payer's channel per payee, durable (LMDB database "channels-out"):
/// payee → channel id, address, deposit, expiry, whether the open was
/// confirmed and, once read from the chain, the channel's opening. A channel is recorded *before* its open transaction is sent,
/// so a crash in between leaves an unconfirmed record that the next payment
/// resolves on chain (ChannelManager): the money sent is never lost track of.
struct ChannelRegistry: Sendable {
    struct Record: Equatable, Sendable {
        var channelId: UInt64
        var channel: Address
        var deposit: UInt64
        var expiry: Int64
        /// The open transaction was seen on chain.
        var confirmed: Bool
        /// The channel's opening as the chain records it (vouchers name it);
        /// nil until read (and in records written before openings existed).
        var opening: UInt64? = nil

        static let size = 8 + 32 + 8 + 8 + 1
        static let sizeWithOpening = size + 8

        var encoded: [UInt8] {
            var w = ByteWriter(capacity: Self.size)
            w.u64(channelId)
            w.append(channel.bytes)
            w.u64(deposit)
            w.i64(expiry)
            w.u8(confirmed ? 1 : 0)
            if let opening { w.u64(opening) }
            return w.bytes
        }

    }

    let env: LMDBEnvironment
    let db: LMDBDatabase

    init(environment: LMDBEnvironment) throws(PaymentError) {
        env = environment
        do { db = try env.database("channels-out") } catch { throw .storage("\(error)") }
    }

    func record(for payee: Address) throws(PaymentError) -> Record? {
        try env.snapshot({ txn in try txn.get(db, key: payee.bytes) }, storage: PaymentError.storage).flatMap(Record.init)
    }

    func put(_ record: Record, for payee: Address) throws(PaymentError) {
        try env.durableWrite({ txn in try txn.put(db, key: payee.bytes, value: record.encoded) }, storage: PaymentError.storage)
    }

    func remove(_ payee: Address) throws(PaymentError) {
        _ = try env.durableWrite({ txn in try txn.delete(db, key: payee.bytes) }, storage: PaymentError.storage)
    }

    /// Every payee's record, in payee order.
    func all() throws(PaymentError) -> [(payee: Address, record: Record)] {
        try env.snapshot({ txn in
            var out: [(Address, Record)] = []
            try txn.forEach(db) { key, value in
                if let payee = try? Address(bytes: Array(key)), let record = Record(Array(value)) { out.append((payee, record)) }
                return true
            }
            return out
        }, storage: PaymentError.storage)
    }
}

extension ChannelRegistry.Record {
    init?(_ bytes: [UInt8]) {
        guard bytes.count == Self.size || bytes.count == Self.sizeWithOpening else { return nil }
        var r = ByteReader(bytes)
        guard let id = try? r.u64(), let channel = try? Address(bytes: r.take(32)), let deposit = try? r.u64(),
              let expiry = try? r.i64(), let flag = try? r.u8(), flag <= 1 else { return nil }
        self.init(channelId: id, channel: channel, deposit: deposit, expiry: expiry, confirmed: flag == 1,
                  opening: bytes.count == Self.sizeWithOpening ? try? r.u64() : nil)
    }
}
