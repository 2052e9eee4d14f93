import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1, as another program would hold a port:
/// for tests of what a node says when its port is taken. Closed on `close()`.
public final class TCPListener {
    public let port: Int
    private var fd: Int32

    /// Listens on `port` (0: a free port the system chooses).
    public init(port: Int = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        // As servers (and ZeroMQ) do: a port whose last connections are in TIME_WAIT is free.
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let ok = fd >= 0 && withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            let why = String(cString: strerror(errno))
            if fd >= 0 { Glibc.close(fd) }
            throw TCPListenerError(description: "cannot listen on 127.0.0.1:\(port): \(why)")
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: addr.sin_port))
    }

    public func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    deinit { close() }
}

public struct TCPListenerError: Error, CustomStringConvertible {
    public let description: String
}
