import CurlHTTP
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A request with exactly the headers given (Host, Origin, Sec-Fetch-Site ...),
/// as a browser or an attacker would send them; the status, headers and body.
func request(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8] = [],
             timeout: Double = 30) throws -> CurlHTTP.Response {
    try CurlHTTP.perform(CurlHTTP.Request(method: method, url: url, headers: headers, body: body, timeout: timeout,
                                          maxResponseBytes: 16 << 20))
}

/// A plain TCP connection to 127.0.0.1, for what no HTTP client does on
/// purpose: a header sent a byte at a time, a connection left idle, a body
/// longer than it says. Every wait is bounded.
final class RawConnection {
    private var fd: Int32

    /// `receiveBuffer`: a small one makes a client that does not read stall the server's writes soon.
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard fd >= 0, ok else { throw TestFailure("cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sends bytes; false once the peer has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Whether the server has closed the connection (reads what it sent meanwhile).
    func isClosedByPeer(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, 100)
            if ready > 0 {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n == 0 { return true }
                if n < 0 && errno != EINTR && errno != EAGAIN { return true }
            }
        }
        return false
    }

    /// Everything the server sends until it closes or `seconds` pass.
    func readAll(within seconds: Double) -> String { String(decoding: readBytes(within: seconds), as: UTF8.self) }

    func readBytes(within seconds: Double) -> [UInt8] {
        let deadline = Date().addingTimeInterval(seconds)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    /// At most `limit` bytes, waiting up to `seconds` for any (empty: none came, or closed).
    func readSome(_ limit: Int, within seconds: Double) -> [UInt8] {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(seconds * 1000)) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: limit)
        let n = recv(fd, &buffer, limit, 0)
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}
