import Foundation
import Identity

/// A point-to-point message channel for request/response protocols (the
/// daemon's chunk exchange), on its own CURVE-authenticated ZeroMQ
/// ROUTER/DEALER pair keyed by the node's identity, exactly like gossip
/// links but separate from them: bulk chunk traffic never queues behind,
/// or is rate-limited with, mesh control frames.
///
/// Dialling pins the CURVE server key derived from the peer's address, so
/// an answer on an outbound link always comes from that address. Messages
/// on inbound links carry the CURVE key the sender proved it holds; use
/// `DirectChannel.curveKeyHex(of:)` to check an address a sender claims.
public final class DirectChannel: Sendable {
    /// Where a message came from, and where a reply goes.
    public enum Peer: Hashable, Sendable {
        /// A peer we dialled; authenticated as this address.
        case outbound(Address)
        /// A peer that dialled us, by ZeroMQ routing id.
        case inbound(routingID: [UInt8])
    }

    public struct Message: Sendable {
        public let from: Peer
        /// For inbound messages: the CURVE public key (hex) the sender proved.
        public let curveKeyHex: String?
        public let bytes: [UInt8]
    }

    public struct Options: Sendable {
        /// `tcp://127.0.0.1:0` picks a free port.
        public var listen = "tcp://127.0.0.1:0"
        /// Largest message accepted; ZeroMQ drops a peer that sends more.
        public var maxMessageBytes = 2 << 20
        /// Messages queued per link before sends are dropped.
        public var highWaterMark: Int32 = 4096
        /// Received bytes not yet handled before the channel stops reading.
        public var maxBacklogBytes = 128 << 20
        /// Simulated network conditions (simulations only); nil: none.
        public var shaper: LinkShaper?
        public init() {}
    }

    public let endpoint: String
    /// Every message received, in arrival order. Call `handled(bytes:)` once
    /// a message's bytes are processed, so the backlog limit stays honest.
    public let messages: AsyncStream<Message>
    private let transport: Transport

    private init(endpoint: String, messages: AsyncStream<Message>, transport: Transport) {
        self.endpoint = endpoint
        self.messages = messages
        self.transport = transport
    }

    public static func start(identity: KeyPair, options: Options = Options()) async throws -> DirectChannel {
        var transportOptions = Transport.Options(listen: options.listen, curve: try identity.curveKeyPair(),
                                                 maxFrameBytes: options.maxMessageBytes,
                                                 highWaterMark: options.highWaterMark)
        transportOptions.maxBacklogBytes = options.maxBacklogBytes
        transportOptions.shaper = options.shaper
        let transport = try await Transport.start(transportOptions)
        let (stream, continuation) = AsyncStream<Message>.makeStream(bufferingPolicy: .unbounded)
        let events = transport.events
        // Forwarding ends when the transport stops (its event stream finishes).
        Task {
            for await event in events {
                guard case .frame(let frame) = event else { continue }
                let from: Peer
                switch frame.link {
                case .outbound(let address): from = .outbound(address)
                case .inbound(let id): from = .inbound(routingID: id)
                }
                continuation.yield(Message(from: from, curveKeyHex: frame.curveKeyHex, bytes: frame.bytes))
            }
            continuation.finish()
        }
        return DirectChannel(endpoint: transport.endpoint, messages: stream, transport: transport)
    }

    /// Opens (or re-opens) an outbound link to `address` at `endpoint`.
    public func connect(_ address: Address, endpoint: String) throws {
        transport.dial(address, endpoint: endpoint, serverKey: try address.curvePublicKey())
    }

    public func disconnect(_ address: Address) { transport.hangUp(address) }

    /// Queues a message; it is dropped (and counted) if the link's queue is full or gone.
    public func send(_ bytes: [UInt8], to peer: Peer) {
        switch peer {
        case .outbound(let address): transport.send(bytes, to: .outbound(address))
        case .inbound(let id): transport.send(bytes, to: .inbound(id))
        }
    }

    public func handled(bytes: Int) { transport.handled(bytes: bytes) }

    /// Messages that could not be queued since start.
    public var droppedSends: Int { transport.droppedSends }

    public func stop() { transport.stop() }

    /// The hex CURVE key an inbound sender claiming `address` must have proved.
    public static func curveKeyHex(of address: Address) -> String? {
        guard let key = try? address.curvePublicKey() else { return nil }
        return ZMQ.hex(key)
    }
}
