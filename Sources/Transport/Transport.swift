import CZMQ
import Foundation
import Identity
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One side of a link between two nodes.
public enum Link: Hashable, Sendable {
    /// Our DEALER connected to the peer's ROUTER. The CURVE handshake used
    /// the server key derived from this address, so whoever answers holds it.
    case outbound(Address)
    /// The peer's DEALER connected to our ROUTER, by ZeroMQ routing id.
    case inbound([UInt8])
}

/// A frame as the transport thread received it.
public struct IncomingFrame: Sendable {
    public let link: Link
    /// For inbound links: the CURVE public key the peer proved it holds (hex, from ZAP).
    public let curveKeyHex: String?
    public let bytes: [UInt8]
    /// Monotonic nanoseconds at receipt, on the transport thread.
    public let receivedAt: UInt64
}

public enum TransportEvent: Sendable {
    case frame(IncomingFrame)
    /// A send to an inbound link found no such connection (the peer went away).
    case unreachable(Link)
}

/// Monotonic time in nanoseconds.
public func monotonicNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// The ZeroMQ side of a node: one ROUTER it binds (CURVE server) and one
/// DEALER per peer it dials (CURVE client), all owned by one dedicated
/// thread. Swift code talks to that thread through a locked command queue
/// and an eventfd wake-up, and hears from it through an AsyncStream, so no
/// ZeroMQ call ever runs on the cooperative pool.
public final class Transport: Sendable {
    enum Command: Sendable {
        case send(Link, [UInt8])
        case dial(Address, endpoint: String, serverKey: [UInt8])
        case hangUp(Address)
        case stop
    }

    public struct Options: Sendable {
        public var listen: String
        public var curve: CurveKeyPair
        public var maxFrameBytes: Int
        public var highWaterMark: Int32
        /// Bytes of received frames not yet handled by the node before the
        /// thread stops reading (ZeroMQ and TCP then push back on senders).
        public var maxBacklogBytes = 64 << 20
        /// Simulated network conditions (simulations only); nil: none.
        public var shaper: LinkShaper?

        public init(listen: String, curve: CurveKeyPair, maxFrameBytes: Int, highWaterMark: Int32) {
            self.listen = listen
            self.curve = curve
            self.maxFrameBytes = maxFrameBytes
            self.highWaterMark = highWaterMark
        }
    }

    public let events: AsyncStream<TransportEvent>
    public let endpoint: String
    private let shared: Shared

    /// The state both sides see: commands in, events out, the backlog count.
    final class Shared: Sendable {
        let commands = Mutex<[Command]>([])
        /// The wake-up pipe: the owner thread polls `wakeFD`, callers write to `wakeWriteFD`.
        let wakeFD: Int32
        let wakeWriteFD: Int32
        let continuation: AsyncStream<TransportEvent>.Continuation
        let backlogBytes = Atomic<Int>(0)
        let droppedSends = Atomic<Int>(0)

        init(wakeFD: Int32, wakeWriteFD: Int32, continuation: AsyncStream<TransportEvent>.Continuation) {
            self.wakeFD = wakeFD
            self.wakeWriteFD = wakeWriteFD
            self.continuation = continuation
        }

        deinit {
            close(wakeFD)
            close(wakeWriteFD)
        }

        func enqueue(_ batch: [Command]) {
            commands.withLock { $0.append(contentsOf: batch) }
            var one: UInt8 = 1
            _ = write(wakeWriteFD, &one, 1)  // a full pipe already means: wake up
        }
    }

    private init(events: AsyncStream<TransportEvent>, endpoint: String, shared: Shared) {
        self.events = events
        self.endpoint = endpoint
        self.shared = shared
    }

    /// Starts the owner thread and binds; returns once the ROUTER is listening.
    public static func start(_ options: Options) async throws -> Transport {
        let (stream, continuation) = AsyncStream<TransportEvent>.makeStream(bufferingPolicy: .unbounded)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TransportError(operation: "creating the wake-up pipe", code: errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        let shared = Shared(wakeFD: fds[0], wakeWriteFD: fds[1], continuation: continuation)
        let endpoint: String = try await withCheckedThrowingContinuation { bound in
            let thread = Thread {
                let loop = TransportLoop(options: options, shared: shared)
                loop.run(bound: bound)
            }
            thread.name = "gossip-zmq"
            thread.start()
        }
        return Transport(events: stream, endpoint: endpoint, shared: shared)
    }

    public func send(_ frame: [UInt8], to link: Link) { shared.enqueue([.send(link, frame)]) }
    public func send(_ batch: [(Link, [UInt8])]) {
        guard !batch.isEmpty else { return }
        shared.enqueue(batch.map { .send($0.0, $0.1) })
    }
    public func dial(_ address: Address, endpoint: String, serverKey: [UInt8]) {
        shared.enqueue([.dial(address, endpoint: endpoint, serverKey: serverKey)])
    }
    public func hangUp(_ address: Address) { shared.enqueue([.hangUp(address)]) }
    public func stop() { shared.enqueue([.stop]) }

    /// The node calls this after handling a frame, releasing backlog.
    public func handled(bytes: Int) { shared.backlogBytes.subtract(bytes, ordering: .relaxed) }
    public var droppedSends: Int { shared.droppedSends.load(ordering: .relaxed) }
}

/// The owner thread's state. Never leaves that thread.
private final class TransportLoop {
    let options: Transport.Options
    let shared: Transport.Shared
    var router: UnsafeMutableRawPointer?
    var dealers: [Address: UnsafeMutableRawPointer] = [:]
    var pollOrder: [Address] = []
    var running = true
    /// Frames held back by the shaper, in the order they are due, and when
    /// the last one of each link is due (a link never reorders its frames).
    var outgoing = DueQueue<(Link, [UInt8])>()
    var incoming = DueQueue<IncomingFrame>()

    init(options: Transport.Options, shared: Transport.Shared) {
        self.options = options
        self.shared = shared
    }

    func configure(_ socket: UnsafeMutableRawPointer) throws(TransportError) {
        try ZMQ.setOption(socket, ZMQ_LINGER, 0)
        try ZMQ.setOption(socket, ZMQ_SNDHWM, options.highWaterMark)
        try ZMQ.setOption(socket, ZMQ_RCVHWM, options.highWaterMark)
        try ZMQ.setOption(socket, ZMQ_MAXMSGSIZE, int64: Int64(options.maxFrameBytes))
    }

    /// IPv6 on a socket whose endpoint is not an IPv4 literal: `[::]` binds
    /// both stacks, an IPv6 peer or a name that resolves to one can be
    /// dialled; IPv4 endpoints stay plain IPv4 (and read back as such).
    func allowIPv6(_ socket: UnsafeMutableRawPointer, for endpoint: String) throws(TransportError) {
        guard let parsed = Endpoint(endpoint), !parsed.isIPv4Literal else { return }
        try ZMQ.setOption(socket, ZMQ_IPV6, 1)
    }

    func run(bound: CheckedContinuation<String, any Error>) {
        do {
            guard let socket = zmq_socket(ZMQContext.shared.raw, ZMQ_ROUTER) else { throw TransportError.last("creating the ROUTER") }
            router = socket
            try configure(socket)
            try ZMQ.setOption(socket, ZMQ_ROUTER_MANDATORY, 1)
            try ZMQ.setOption(socket, ZMQ_CURVE_SERVER, 1)
            try ZMQ.setOption(socket, ZMQ_CURVE_SECRETKEY, options.curve.secretKey)
            try ZMQ.setOption(socket, ZMQ_ZAP_DOMAIN, Array("peernode".utf8))
            var listen = options.listen
            try allowIPv6(socket, for: listen)
            if listen.hasSuffix(":0") { listen = String(listen.dropLast(2)) + ":*" }
            guard zmq_bind(socket, listen) == 0 else { throw TransportError.last("binding \(options.listen)") }
            bound.resume(returning: ZMQ.lastEndpoint(socket) ?? options.listen)
        } catch {
            if let router { zmq_close(router) }
            shared.continuation.finish()
            bound.resume(throwing: error)
            return
        }
        loop()
        for (_, socket) in dealers { zmq_close(socket) }
        if let router { zmq_close(router) }
        shared.continuation.finish()
    }

    private func loop() {
        var items: [zmq_pollitem_t] = []
        var dirty = true
        while running {
            if dirty {
                pollOrder = Array(dealers.keys)
                items = [zmq_pollitem_t(socket: nil, fd: shared.wakeFD, events: Int16(ZMQ_POLLIN), revents: 0),
                         zmq_pollitem_t(socket: router, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
                for address in pollOrder {
                    items.append(zmq_pollitem_t(socket: dealers[address], fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
                }
                dirty = false
            }
            // While the node is behind, only listen for commands: the
            // sockets' queues fill and ZeroMQ pushes back on the senders.
            let reading = shared.backlogBytes.load(ordering: .relaxed) < options.maxBacklogBytes
            let count = reading ? items.count : 1
            let wait = min(reading ? 250 : 5, min(outgoing.millisUntilNext(), incoming.millisUntilNext()))
            let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32(count), Int(wait)) }
            if rc < 0 && zmq_errno() == ETERM { return }
            var drain = [UInt8](repeating: 0, count: 256)
            _ = read(shared.wakeFD, &drain, drain.count)
            if runCommands() { dirty = true }
            guard running else { return }
            releaseDue()
            guard reading, rc > 0 else { continue }
            if items[1].revents & Int16(ZMQ_POLLIN) != 0, let router { receive(from: router, link: nil) }
            for (i, address) in pollOrder.enumerated() where items[i + 2].revents & Int16(ZMQ_POLLIN) != 0 {
                if let socket = dealers[address] { receive(from: socket, link: .outbound(address)) }
            }
        }
    }

    /// Reads what is waiting on one socket, at most a batch, so no socket starves the others.
    private func receive(from socket: UnsafeMutableRawPointer, link: Link?) {
        for _ in 0..<256 {
            guard let (parts, userID) = ZMQ.receive(socket, flags: ZMQ_DONTWAIT, maxParts: 2, wantUserID: link == nil) else {
                return
            }
            let frame: IncomingFrame
            if let link {
                guard parts.count == 1 else { continue }
                frame = IncomingFrame(link: link, curveKeyHex: nil, bytes: parts[0], receivedAt: monotonicNanos())
            } else {
                guard parts.count == 2 else { continue }
                frame = IncomingFrame(link: .inbound(parts[0]), curveKeyHex: userID, bytes: parts[1],
                                      receivedAt: monotonicNanos())
            }
            shared.backlogBytes.add(frame.bytes.count, ordering: .relaxed)
            if let shaper = options.shaper {
                incoming.add(frame, link: frame.link, due: shaper.due(bytes: frame.bytes.count, .down, now: frame.receivedAt))
            } else {
                shared.continuation.yield(.frame(frame))
            }
        }
    }

    /// Hands over what the shaper held back and is due now.
    private func releaseDue() {
        let now = monotonicNanos()
        for (link, bytes) in outgoing.takeDue(now) { sendNow(link, bytes) }
        for frame in incoming.takeDue(now) { shared.continuation.yield(.frame(frame)) }
    }

    private func sendNow(_ link: Link, _ bytes: [UInt8]) {
        switch link {
        case .outbound(let address):
            guard let socket = dealers[address] else { shared.droppedSends.add(1, ordering: .relaxed); return }
            if ZMQ.send(socket, parts: [bytes], flags: ZMQ_DONTWAIT) != nil {
                shared.droppedSends.add(1, ordering: .relaxed)
            }
        case .inbound(let routingID):
            guard let router else { return }
            if let err = ZMQ.send(router, parts: [routingID, bytes], flags: ZMQ_DONTWAIT) {
                shared.droppedSends.add(1, ordering: .relaxed)
                if err == EHOSTUNREACH { shared.continuation.yield(.unreachable(link)) }
            }
        }
    }

    /// Runs queued commands; returns whether the set of sockets changed.
    private func runCommands() -> Bool {
        let batch = shared.commands.withLock { queue -> [Transport.Command] in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        var changed = false
        for command in batch {
            switch command {
            case .send(let link, let bytes):
                if let shaper = options.shaper {
                    outgoing.add((link, bytes), link: link, due: shaper.due(bytes: bytes.count, .up, now: monotonicNanos()))
                } else {
                    sendNow(link, bytes)
                }
            case .dial(let address, let endpoint, let serverKey):
                if let old = dealers.removeValue(forKey: address) { zmq_close(old) }
                if let socket = makeDealer(endpoint: endpoint, serverKey: serverKey) { dealers[address] = socket }
                changed = true
            case .hangUp(let address):
                if let old = dealers.removeValue(forKey: address) { zmq_close(old); changed = true }
            case .stop:
                running = false
            }
        }
        return changed
    }

    private func makeDealer(endpoint: String, serverKey: [UInt8]) -> UnsafeMutableRawPointer? {
        guard let socket = zmq_socket(ZMQContext.shared.raw, ZMQ_DEALER) else { return nil }
        do {
            try configure(socket)
            try ZMQ.setOption(socket, ZMQ_RECONNECT_IVL, 100)
            try ZMQ.setOption(socket, ZMQ_RECONNECT_IVL_MAX, 5000)
            try allowIPv6(socket, for: endpoint)
            try ZMQ.setOption(socket, ZMQ_CURVE_SERVERKEY, serverKey)
            try ZMQ.setOption(socket, ZMQ_CURVE_PUBLICKEY, options.curve.publicKey)
            try ZMQ.setOption(socket, ZMQ_CURVE_SECRETKEY, options.curve.secretKey)
            guard zmq_connect(socket, endpoint) == 0 else { throw TransportError.last("connecting to \(endpoint)") }
            return socket
        } catch {
            zmq_close(socket)
            return nil
        }
    }
}
