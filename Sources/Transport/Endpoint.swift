import Foundation

/// A ZeroMQ TCP endpoint, `tcp://host:port` (IPv6 hosts in brackets), and
/// the endpoints other hosts can dial for one we bound.
///
/// A node that binds `tcp://0.0.0.0:4001` (how servers usually listen) must
/// not put that in its peer record: nobody can dial a wildcard. It
/// advertises what its operator configured (a public address behind port
/// forwarding, a DNS name) or else the addresses of its own interfaces.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    /// The host without brackets: an IPv4 or IPv6 literal, or a name.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `tcp://host:port`; nil when it is not one.
    public init?(_ text: String) {
        guard text.hasPrefix("tcp://") else { return nil }
        let rest = text.dropFirst("tcp://".count)
        let hostPart: Substring, portPart: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            portPart = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":"), !rest[..<colon].contains(":") else { return nil }
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
        }
        guard !hostPart.isEmpty, let port = Int(portPart), (0...65535).contains(port) else { return nil }
        self.host = String(hostPart)
        self.port = port
    }

    public var isIPv6: Bool { host.contains(":") }

    /// A dotted-quad IPv4 address (or `*`, which ZeroMQ binds as IPv4).
    public var isIPv4Literal: Bool {
        if host == "*" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    /// `0.0.0.0`, `::` or `*`: bound to every interface, dialable by nobody.
    public var isWildcard: Bool { ["0.0.0.0", "::", "*", "0:0:0:0:0:0:0:0"].contains(host) }

    public var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" || host == "localhost" }

    public var description: String { isIPv6 ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)" }

    /// What to put in a peer record for a socket bound at `bound`: the
    /// configured endpoints when there are any, the bound one when it names a
    /// host, else one per address of this host's interfaces (of the bound
    /// family, IPv4 for `0.0.0.0`, both for `::`), routable ones first and
    /// loopback last, so peers on other hosts and on this one can dial it;
    /// at most `limit` of them (what a peer record carries).
    public static func advertised(bound: String, configured: [String], limit: Int = 8) -> [String] {
        if !configured.isEmpty { return configured }
        guard let endpoint = Endpoint(bound), endpoint.isWildcard else { return [bound] }
        let wantV6 = endpoint.host != "0.0.0.0"
        let addresses = interfaceAddresses().filter { wantV6 || !$0.contains(":") }
        let ordered = addresses.filter { !Endpoint(host: $0, port: 0).isLoopback }
            + addresses.filter { Endpoint(host: $0, port: 0).isLoopback }
        let out = ordered.prefix(limit).map { Endpoint(host: $0, port: endpoint.port).description }
        return out.isEmpty ? [Endpoint(host: "127.0.0.1", port: endpoint.port).description] : out
    }

    /// The addresses of this host's interfaces that are up: IPv4 first,
    /// then IPv6 (link-local ones left out: they need a zone to be dialled).
    public static func interfaceAddresses() -> [String] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var v4: [String] = [], v6: [String] = []
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            let flags = Int32(entry.pointee.ifa_flags)
            guard flags & Int32(IFF_UP) != 0, let sa = entry.pointee.ifa_addr else { continue }
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            switch Int32(sa.pointee.sa_family) {
            case AF_INET:
                guard getnameinfo(sa, socklen_t(MemoryLayout<sockaddr_in>.size), &buffer, socklen_t(buffer.count),
                                  nil, 0, NI_NUMERICHOST) == 0 else { continue }
                v4.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            case AF_INET6:
                guard getnameinfo(sa, socklen_t(MemoryLayout<sockaddr_in6>.size), &buffer, socklen_t(buffer.count),
                                  nil, 0, NI_NUMERICHOST) == 0 else { continue }
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if text.lowercased().hasPrefix("fe80") || text.contains("%") { continue }
                v6.append(text)
            default: continue
            }
        }
        var seen = Set<String>()
        return (v4 + v6).filter { seen.insert($0).inserted }
    }
}
