import Identity
import Testing
@testable import PayChannel

/// The payer's service against localnet: channels opened on demand, once;
/// topped up; refused without funds; continued after a restart.
/// (Renewal near expiry moves the clock: ClockMovingTests.)
@Suite(.timeLimit(.minutes(5))) struct ChannelManagerTests {
    let fee = ChannelFixture.fee

    @Test func concurrentPaymentsOpenOneChannel() async throws {
        let s = try await PaymentServices.make()
        let payer = try await s.f.funded(), payee = KeyPair.generate().address
        let payer0 = try await s.f.balance(payer.address), rent = try await s.f.channelRent()
        let m = try s.manager(payer, "concurrent", config: PaymentConfig(channelDeposit: 2_000_000))
        let vouchers = try await withThrowingTaskGroup(of: SignedVoucher.self) { group in
            for _ in 0..<8 { group.addTask { try await m.pay(payee, amount: 1000, purpose: .chunks) } }
            return try await group.reduce(into: [SignedVoucher]()) { $0.append($1) }
        }
        let onChain = try await s.f.client.channels(payer: payer.address)
        #expect(onChain.count == 1)
        let (address, state) = try #require(onChain.first)
        #expect(state.deposit == 2_000_000 && state.payee == payee && state.claimed == 0)
        #expect(Set(vouchers.map(\.voucher.channel)) == [address])
        #expect(vouchers.map(\.voucher.amount).sorted() == (1...8).map { UInt64($0) * 1000 })
        #expect(Set(vouchers.map(\.voucher.sequence)) == Set(1...8))
        #expect(vouchers.allSatisfy { $0.isValid } && vouchers.allSatisfy { $0.payer == payer.address })
        #expect(await m.lastVoucher(to: payee)?.voucher.amount == 8000)
        #expect(await m.channels() == [OutgoingChannel(payee: payee, address: address, channelId: state.channelId,
                                                        deposit: 2_000_000, spent: 8000, claimed: 0, expiry: state.expiry,
                                                        confirmed: true)])
        // One open: rent, deposit and one fee, nothing else.
        #expect(try await s.f.balance(payer.address) == payer0 - rent - 2_000_000 - fee)
    }

    @Test func topsUpByAtLeastTheTopUpAmount() async throws {
        let s = try await PaymentServices.make()
        let payer = try await s.f.funded(), payee = KeyPair.generate().address
        let payer0 = try await s.f.balance(payer.address), rent = try await s.f.channelRent()
        let m = try s.manager(payer, "top-up", config: PaymentConfig(channelDeposit: 1_000_000, topUpAmount: 500_000))
        let first = try await m.pay(payee, amount: 900_000, purpose: .chunks)
        let channel = first.voucher.channel
        #expect(try await s.f.client.state(channel)?.deposit == 1_000_000)
        _ = try await m.pay(payee, amount: 300_000, purpose: .seconds(stream: "s"))   // short by 200,000: tops up 500,000
        #expect(try await s.f.client.state(channel)?.deposit == 1_500_000)
        let last = try await m.pay(payee, amount: 2_000_000, purpose: .chunks)        // short by 1,700,000: that much
        #expect(last.voucher == Voucher(channel: channel, opening: try await s.f.opening(channel), amount: 3_200_000, sequence: 3))
        #expect(try await s.f.client.state(channel)?.deposit == 3_200_000)
        #expect(try await s.f.balance(payer.address) == payer0 - rent - 3_200_000 - 3 * fee)
        #expect(await m.channels().first?.deposit == 3_200_000)

        // A first payment larger than the default deposit opens with that much.
        let big = try await m.pay(KeyPair.generate().address, amount: 3_000_000, purpose: .tip(stream: "s"))
        #expect(try await s.f.client.state(big.voucher.channel)?.deposit == 3_000_000)
    }

    @Test func refusesClearlyWithoutFunds() async throws {
        let s = try await PaymentServices.make()
        let rent = try await s.f.channelRent()
        let reserve = try await s.f.rpc.minimumBalanceForRentExemption(0)   // the payer's own account stays rent-exempt
        let payee = KeyPair.generate().address
        let broke = KeyPair.generate()
        let m = try s.manager(broke, "broke")
        let error = await #expect(throws: PaymentError.self) { try await m.pay(payee, amount: 1000, purpose: .chunks) }
        #expect(error == .insufficientFunds(broke.address, needed: 50_000_000 + rent + fee + reserve))
        #expect(error?.description.contains(broke.address.base58) == true)
        #expect(await m.channels().isEmpty)
        #expect(try await s.f.client.channels(payer: broke.address).isEmpty)

        // Enough to open, not to top up: the voucher that needs more is never signed.
        let lean = try await s.f.funded(1_000_000 + rent + fee + reserve + 1000)
        let n = try s.manager(lean, "lean", config: PaymentConfig(channelDeposit: 1_000_000))
        let paid = try await n.pay(payee, amount: 1_000_000, purpose: .chunks)
        await #expect(throws: PaymentError.insufficientFunds(lean.address, needed: 1_000_000 + fee + reserve)) {
            try await n.pay(payee, amount: 10, purpose: .chunks)
        }
        #expect(await n.lastVoucher(to: payee) == paid)
        await #expect(throws: PaymentError.voucher(.nothingToPay)) { try await n.pay(payee, amount: 0, purpose: .chunks) }
    }

    @Test func aRestartedManagerContinuesTheSameChannel() async throws {
        let s = try await PaymentServices.make()
        let payer = try await s.f.funded(), payee = KeyPair.generate().address
        let channel: Address
        do {
            let m = try s.manager(payer, "restart")
            _ = try await m.pay(payee, amount: 1000, purpose: .chunks)
            channel = try await m.pay(payee, amount: 2000, purpose: .chunks).voucher.channel
        }
        let again = try s.manager(payer, "restart")
        #expect(await again.lastVoucher(to: payee)?.voucher == Voucher(channel: channel, opening: try await s.f.opening(channel), amount: 3000, sequence: 2))
        let next = try await again.pay(payee, amount: 500, purpose: .chunks)
        #expect(next.voucher == Voucher(channel: channel, opening: try await s.f.opening(channel), amount: 3500, sequence: 3))
        #expect(try await s.f.client.channels(payer: payer.address).map(\.0) == [channel])
    }

    @Test func anUnconfirmedOpenIsResolvedOnChain() async throws {
        let s = try await PaymentServices.make()
        let payer = try await s.f.funded()
        let lost = KeyPair.generate().address, landed = KeyPair.generate().address
        let env = try s.books.environment("unconfirmed")
        let registry = try ChannelRegistry(environment: env)
        // A crash after recording, before sending: the open was never sent.
        let lostId = ChannelClient.newChannelId()
        let lostChannel = s.f.client.channelAddress(payer: payer.address, payee: lost, channelId: lostId)
        try registry.put(.init(channelId: lostId, channel: lostChannel, deposit: 1_000_000, expiry: 0, confirmed: false), for: lost)
        // A crash after the open landed, before it was marked confirmed.
        let landedId = ChannelClient.newChannelId()
        let (landedChannel, _, _) = try await s.f.client.open(payer: payer, payee: landed, channelId: landedId, deposit: 700_000,
                                                           expiry: try await s.f.now() + 86_400)
        try registry.put(.init(channelId: landedId, channel: landedChannel, deposit: 1_000_000, expiry: 0, confirmed: false),
                         for: landed)

        let m = ChannelManager(identity: payer, client: s.f.client, book: try VoucherBook(environment: env), environment: env,
                               config: PaymentConfig())
        #expect(await m.channels().map(\.confirmed) == [false, false])
        // The recorded id is opened (same address), the landed one adopted with the chain's deposit.
        #expect(try await m.pay(lost, amount: 10, purpose: .chunks).voucher.channel == lostChannel)
        #expect(try await s.f.client.state(lostChannel)?.deposit == 1_000_000)
        #expect(try await m.pay(landed, amount: 10, purpose: .chunks).voucher.channel == landedChannel)
        #expect(try await s.f.client.state(landedChannel)?.deposit == 700_000)
        #expect(Set(try await s.f.client.channels(payer: payer.address).map(\.0)) == [lostChannel, landedChannel])
        #expect(await m.channels().allSatisfy { $0.confirmed })
        #expect(await m.channels().first { $0.payee == landed }?.deposit == 700_000)
    }
}
