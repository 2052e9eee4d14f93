import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `ports.json` in the data directory: the gossip and chunk-exchange ports
/// the daemon chose on its first start for a `listen` / `exchangeListen`
/// ending in `:0`, reused on every later start, so a peer whose bootstrap
/// entry names this node still finds it after a restart. An explicit port
/// in config.json always wins (and is not written here); deleting the file
/// lets the node choose new ports.
public struct RememberedPorts: Codable, Sendable, Equatable {
    public var gossip: Int?
    public var exchange: Int?

    public init(gossip: Int? = nil, exchange: Int? = nil) {
        self.gossip = gossip
        self.exchange = exchange
    }

    public static func path(dataDirectory: String) -> String { dataDirectory + "/ports.json" }

    /// The remembered ports; none when the file does not exist yet.
    public static func load(dataDirectory: String) throws(PeerNodeError) -> RememberedPorts {
        let file = path(dataDirectory: dataDirectory)
        guard let data = FileManager.default.contents(atPath: file) else { return RememberedPorts() }
        guard let ports = try? JSONDecoder().decode(RememberedPorts.self, from: data),
              [ports.gossip, ports.exchange].allSatisfy({ $0.map { (1...65535).contains($0) } ?? true }) else {
            throw .badConfig("\(file) is not what the daemon wrote ({\"gossip\": PORT, \"exchange\": PORT}); "
                             + "delete it to let the node choose new ports")
        }
        return ports
    }

    public func save(dataDirectory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(dataDirectory: dataDirectory)), options: .atomic)
    }

    /// `config` with each `:0` endpoint given its remembered port; fails
    /// with a message saying what to do when that port is taken now.
    public func applied(to config: NodeConfig, dataDirectory: String) throws(PeerNodeError) -> NodeConfig {
        var config = config
        let file = Self.path(dataDirectory: dataDirectory)
        if let port = gossip, let endpoint = Self.replacingPortZero(config.listen, with: port) {
            try Self.requireFree(endpoint, link: "gossip", file: file, field: "listen")
            config.listen = endpoint
        }
        if let port = exchange, let endpoint = Self.replacingPortZero(config.exchangeListen, with: port) {
            try Self.requireFree(endpoint, link: "chunk-exchange", file: file, field: "exchangeListen")
            config.exchangeListen = endpoint
        }
        return config
    }

    /// What to remember after a start: the bound ports of the `:0` endpoints
    /// (`configured`: config.json's endpoints; `bound`: the node's).
    public static func chosen(configured: NodeConfig, gossipEndpoint: String, exchangeEndpoint: String) -> RememberedPorts {
        RememberedPorts(gossip: configured.listen.hasSuffix(":0") ? port(of: gossipEndpoint) : nil,
                        exchange: configured.exchangeListen.hasSuffix(":0") ? port(of: exchangeEndpoint) : nil)
    }

    static func replacingPortZero(_ endpoint: String, with port: Int) -> String? {
        endpoint.hasSuffix(":0") ? String(endpoint.dropLast(1)) + String(port) : nil
    }

    static func port(of endpoint: String) -> Int? {
        endpoint.split(separator: ":").last.flatMap { Int($0) }
    }

    static func requireFree(_ endpoint: String, link: String, file: String, field: String) throws(PeerNodeError) {
        let rest = endpoint.hasPrefix("tcp://") ? endpoint.dropFirst(6) : Substring(endpoint)
        guard let colon = rest.lastIndex(of: ":"), let port = port(of: endpoint) else { return }
        let host = String(rest[..<colon])
        if !TCPPort.isFree(host: host, port: port) {
            throw .rememberedPortTaken(link: link, host: host, port: port, file: file, field: field)
        }
    }
}

/// Whether a TCP port can be bound now (as ZeroMQ and the HTTP server bind:
/// with SO_REUSEADDR, so a port in TIME_WAIT counts as free). A host that is
/// not an IPv4 address ("*", an interface name) is checked on all addresses.
enum TCPPort {
    static func isFree(host: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        if inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &addr.sin_addr) != 1 {
            addr.sin_addr.s_addr = INADDR_ANY
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return !(rc != 0 && errno == EADDRINUSE)
    }
}
