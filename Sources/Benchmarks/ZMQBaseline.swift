import CZMQ
import Foundation
import Identity
import Transport

/// The benchmark's baseline: one hop over raw ZeroMQ on this machine, the
/// same transport the nodes use (DEALER to ROUTER, CURVE, tcp on
/// 127.0.0.1), measured as half a round trip, on a thread of its own.
enum ZMQBaseline {
    static func oneHopLatencies(samples: Int, payloadBytes: Int) async throws -> [UInt64] {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try run(samples: samples, payloadBytes: payloadBytes)) }
                catch { continuation.resume(throwing: error) }
            }
            thread.name = "zmq-baseline"
            thread.start()
        }
    }

    private static func run(samples: Int, payloadBytes: Int) throws -> [UInt64] {
        let serverKeys = try KeyPair.generate().curveKeyPair()
        let clientKeys = try KeyPair.generate().curveKeyPair()
        let ctx = ZMQContext.shared.raw
        guard let server = zmq_socket(ctx, ZMQ_ROUTER) else { throw TransportError.last("baseline ROUTER") }
        defer { zmq_close(server) }
        guard let client = zmq_socket(ctx, ZMQ_DEALER) else { throw TransportError.last("baseline DEALER") }
        defer { zmq_close(client) }
        for s in [server, client] {
            try ZMQ.setOption(s, ZMQ_LINGER, 0)
            try ZMQ.setOption(s, ZMQ_RCVTIMEO, 5000)
        }
        try ZMQ.setOption(server, ZMQ_CURVE_SERVER, 1)
        try ZMQ.setOption(server, ZMQ_CURVE_SECRETKEY, serverKeys.secretKey)
        guard zmq_bind(server, "tcp://127.0.0.1:*") == 0, let endpoint = ZMQ.lastEndpoint(server) else {
            throw TransportError.last("binding the baseline server")
        }
        try ZMQ.setOption(client, ZMQ_CURVE_SERVERKEY, serverKeys.publicKey)
        try ZMQ.setOption(client, ZMQ_CURVE_PUBLICKEY, clientKeys.publicKey)
        try ZMQ.setOption(client, ZMQ_CURVE_SECRETKEY, clientKeys.secretKey)
        guard zmq_connect(client, endpoint) == 0 else { throw TransportError.last("connecting the baseline client") }
        let payload = [UInt8](repeating: 0x42, count: payloadBytes)
        var out: [UInt64] = []
        out.reserveCapacity(samples)
        for i in 0..<(samples + 50) {  // the first 50 warm up
            let start = monotonicNanos()
            guard ZMQ.send(client, parts: [payload], flags: 0) == nil,
                  let (request, _) = ZMQ.receive(server, flags: 0, maxParts: 2), request.count == 2,
                  ZMQ.send(server, parts: request, flags: 0) == nil,
                  ZMQ.receive(client, flags: 0, maxParts: 1) != nil else {
                throw TransportError.last("baseline round trip \(i)")
            }
            if i >= 50 { out.append((monotonicNanos() - start) / 2) }
        }
        return out
    }
}
