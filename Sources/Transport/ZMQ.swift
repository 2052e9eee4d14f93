import CZMQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw ZeroMQ socket pointer handed from the thread that made it to the
/// one thread that owns it from then on.
///
/// `@unchecked Sendable` is safe because the pointer only crosses threads
/// once, at thread start (a full memory barrier, which is all libzmq asks
/// for migrating a socket), and is used by that one thread afterwards.
package struct SocketHandle: @unchecked Sendable {
    package let raw: UnsafeMutableRawPointer

    package init(raw: UnsafeMutableRawPointer) { self.raw = raw }
}

/// A ZeroMQ call that failed, with libzmq's own message.
public struct TransportError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public let code: Int32

    public var description: String { "\(operation): \(String(cString: zmq_strerror(code))) (errno \(code))" }

    package static func last(_ operation: String) -> TransportError { TransportError(operation: operation, code: zmq_errno()) }
}

/// Thin helpers over libzmq, used only by the thread that owns the socket
/// (`package`: the benchmarks' raw ZeroMQ baselines use them too).
package enum ZMQ {
    package static func setOption(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: Int32) throws(TransportError) {
        var v = value
        if zmq_setsockopt(socket, option, &v, MemoryLayout<Int32>.size) != 0 {
            throw .last("setting socket option \(option)")
        }
    }

    package static func setOption(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ bytes: [UInt8]) throws(TransportError) {
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
        if rc != 0 { throw .last("setting socket option \(option)") }
    }

    package static func setOption(_ socket: UnsafeMutableRawPointer, _ option: Int32, int64 value: Int64) throws(TransportError) {
        var v = value
        if zmq_setsockopt(socket, option, &v, MemoryLayout<Int64>.size) != 0 {
            throw .last("setting socket option \(option)")
        }
    }

    package static func lastEndpoint(_ socket: UnsafeMutableRawPointer) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return nil }
        return String(cString: buffer)
    }

    /// One whole multipart message, or nil when none is waiting (or on error).
    /// Parts beyond `maxParts` are read and discarded. `userID` is the ZAP
    /// User-Id of the connection it came from, when asked for.
    package static func receive(_ socket: UnsafeMutableRawPointer, flags: Int32, maxParts: Int = 4,
                        wantUserID: Bool = false) -> (parts: [[UInt8]], userID: String?)? {
        var parts: [[UInt8]] = []
        var userID: String?
        var more = true
        var first = true
        var guardCount = 0
        while more && guardCount < 64 {
            guardCount += 1
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            let rc = zmq_msg_recv(&msg, socket, first ? flags : 0)
            if rc < 0 { return first ? nil : (parts, userID) }
            first = false
            if parts.count < maxParts {
                let size = zmq_msg_size(&msg)
                if let data = zmq_msg_data(&msg), size > 0 {
                    parts.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
                } else {
                    parts.append([])
                }
            }
            if wantUserID, userID == nil, let p = zmq_msg_gets(&msg, "User-Id") { userID = String(cString: p) }
            more = zmq_msg_more(&msg) != 0
        }
        return (parts, userID)
    }

    /// Sends the parts as one message; returns errno on failure (EAGAIN: queue full).
    package static func send(_ socket: UnsafeMutableRawPointer, parts: [[UInt8]], flags: Int32) -> Int32? {
        for (i, part) in parts.enumerated() {
            let more: Int32 = i < parts.count - 1 ? ZMQ_SNDMORE : 0
            let rc = part.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags | more) }
            if rc < 0 { return zmq_errno() }
        }
        return nil
    }

    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The process's ZeroMQ context, shared by every node in the process (a
/// simulation runs dozens), with its ZAP handler.
///
/// `@unchecked Sendable` is safe because a ZeroMQ context is thread-safe by
/// libzmq's contract; only sockets are not, and each has one owner thread.
package final class ZMQContext: @unchecked Sendable {
    package static let shared = ZMQContext()

    package let raw: UnsafeMutableRawPointer

    private init() {
        guard let ctx = zmq_ctx_new() else { fatalError("libzmq could not create a context (out of memory?)") }
        zmq_ctx_set(ctx, ZMQ_IO_THREADS, 1)
        zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 16384)
        raw = ctx
        ZAPHandler.start(context: ctx)
    }
}

/// The ZeroMQ Authentication Protocol (RFC 27) handler: libzmq asks it about
/// every CURVE handshake on a server socket. CURVE itself has already proved
/// that the client holds the secret key of the public key it presented; we
/// accept it and hand that key back as the connection's User-Id, so every
/// frame we receive says which key sent it. The gossip layer then checks
/// that key against the address the peer claims in its HELLO.
enum ZAPHandler {
    static let endpoint = "inproc://zeromq.zap.01"

    static func start(context: UnsafeMutableRawPointer) {
        guard let socket = zmq_socket(context, ZMQ_REP), zmq_bind(socket, endpoint) == 0 else {
            fatalError("cannot bind the ZAP handler: \(TransportError.last("zap bind"))")
        }
        let handle = SocketHandle(raw: socket)
        let thread = Thread { serve(handle.raw) }
        thread.name = "zmq-zap"
        thread.start()
    }

    /// Serves requests for the life of the process; each iteration handles
    /// one request and a failed receive just waits for the next.
    static func serve(_ socket: UnsafeMutableRawPointer) {
        while true {
            guard let (parts, _) = ZMQ.receive(socket, flags: 0, maxParts: 16) else {
                if zmq_errno() == ETERM { return }
                continue
            }
            // version, request id, domain, address, identity, mechanism, credentials...
            guard parts.count >= 6 else { continue }
            let requestID = parts[1]
            let mechanism = String(decoding: parts[5], as: UTF8.self)
            var status = "400", text = "only CURVE is accepted", userID: [UInt8] = []
            if mechanism == "CURVE", parts.count >= 7, parts[6].count == 32 {
                status = "200"
                text = "OK"
                userID = Array(ZMQ.hex(parts[6]).utf8)
            }
            _ = ZMQ.send(socket, parts: [Array("1.0".utf8), requestID, Array(status.utf8), Array(text.utf8), userID, []],
                         flags: 0)
        }
    }
}
