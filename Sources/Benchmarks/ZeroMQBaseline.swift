import CZMQ
import Foundation
import Identity
import Transport

/// Raw ZeroMQ throughput over TCP on this machine: one DEALER streaming
/// `count` messages of `messageBytes` to a ROUTER, as fast as libzmq goes,
/// with or without CURVE, on two threads. The baseline that transfer
/// benchmarks print next to their own figure.
public enum ZeroMQBaseline {
    public struct Result: Sendable {
        public let bytes: Int
        public let seconds: Double
        public var megabytesPerSecond: Double { Double(bytes) / seconds / 1e6 }
    }

    public static func measure(messageBytes: Int, count: Int, curve: Bool) throws -> Result {
        let ctx = ZMQContext.shared.raw
        guard let router = zmq_socket(ctx, ZMQ_ROUTER) else { throw TransportError.last("baseline ROUTER") }
        let server = KeyPair.generate(), client = KeyPair.generate()
        let serverCurve = try server.curveKeyPair(), clientCurve = try client.curveKeyPair()
        try ZMQ.setOption(router, ZMQ_LINGER, 0)
        try ZMQ.setOption(router, ZMQ_RCVHWM, 4096)
        if curve {
            try ZMQ.setOption(router, ZMQ_CURVE_SERVER, 1)
            try ZMQ.setOption(router, ZMQ_CURVE_SECRETKEY, serverCurve.secretKey)
            try ZMQ.setOption(router, ZMQ_ZAP_DOMAIN, Array("peernode".utf8))
        }
        guard zmq_bind(router, "tcp://127.0.0.1:*") == 0, let endpoint = ZMQ.lastEndpoint(router) else {
            zmq_close(router)
            throw TransportError.last("baseline bind")
        }
        guard let dealer = zmq_socket(ctx, ZMQ_DEALER) else { zmq_close(router); throw TransportError.last("baseline DEALER") }
        try ZMQ.setOption(dealer, ZMQ_LINGER, 0)
        try ZMQ.setOption(dealer, ZMQ_SNDHWM, 4096)
        if curve {
            try ZMQ.setOption(dealer, ZMQ_CURVE_SERVERKEY, serverCurve.publicKey)
            try ZMQ.setOption(dealer, ZMQ_CURVE_PUBLICKEY, clientCurve.publicKey)
            try ZMQ.setOption(dealer, ZMQ_CURVE_SECRETKEY, clientCurve.secretKey)
        }
        guard zmq_connect(dealer, endpoint) == 0 else {
            zmq_close(dealer); zmq_close(router)
            throw TransportError.last("baseline connect")
        }
        // Handshake first (one small message each way), so only transfer is timed.
        _ = ZMQ.send(dealer, parts: [[1]], flags: 0)
        guard let (hello, _) = ZMQ.receive(router, flags: 0, maxParts: 2), hello.count == 2 else {
            zmq_close(dealer); zmq_close(router)
            throw TransportError.last("baseline handshake")
        }
        let routingID = hello[0]

        let payload = [UInt8](repeating: 0xA5, count: messageBytes)
        let dealerHandle = SocketHandle(raw: dealer)
        let start = DispatchTime.now().uptimeNanoseconds
        let sender = Thread {
            for _ in 0..<count {
                _ = payload.withUnsafeBytes { zmq_send(dealerHandle.raw, $0.baseAddress, $0.count, 0) }
            }
        }
        sender.start()
        var received = 0
        var msg = zmq_msg_t()
        while received < count {
            zmq_msg_init(&msg)
            // ROUTER: routing-id part, then the payload.
            if zmq_msg_recv(&msg, router, 0) < 0 { zmq_msg_close(&msg); break }
            let more = zmq_msg_more(&msg) != 0
            zmq_msg_close(&msg)
            if more {
                zmq_msg_init(&msg)
                if zmq_msg_recv(&msg, router, 0) < 0 { zmq_msg_close(&msg); break }
                zmq_msg_close(&msg)
                received += 1
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        _ = routingID
        zmq_close(dealer)
        zmq_close(router)
        return Result(bytes: received * messageBytes, seconds: seconds)
    }
}
