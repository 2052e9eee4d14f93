import Identity
import PayChannel

/// The payment services over the shared localnet, each with its own LMDB
/// directory (a name), as a daemon would wire them.
struct PaymentServices {
    let f: ChannelFixture
    let books = TemporaryBooks()

    static func make() async throws -> PaymentServices { PaymentServices(f: try await ChannelFixture.make()) }

    func manager(_ payer: KeyPair, _ name: String, config: PaymentConfig = PaymentConfig()) throws -> ChannelManager {
        let env = try books.environment(name)
        return ChannelManager(identity: payer, client: f.client, book: try VoucherBook(environment: env),
                              environment: env, config: config)
    }

    func collector(_ payee: KeyPair, _ name: String, config: PaymentConfig = PaymentConfig()) throws -> PaymentCollector {
        PaymentCollector(identity: payee, client: f.client, book: try books.book(name), config: config)
    }

    /// A fresh channel on chain, and a collector for its payee.
    func collectorOnNewChannel(_ name: String, deposit: UInt64,
                               config: PaymentConfig = PaymentConfig()) async throws -> (ChannelFixture.Channel, PaymentCollector) {
        let ch = try await f.openChannel(deposit: deposit)
        return (ch, try collector(ch.payee, name, config: config))
    }
}

extension ChannelFixture.Channel {
    /// A voucher on this channel signed by its payer.
    func voucher(_ amount: UInt64, _ sequence: UInt64) -> SignedVoucher {
        Voucher(channel: address, opening: opening, amount: amount, sequence: sequence).signed(by: payer)
    }
}
