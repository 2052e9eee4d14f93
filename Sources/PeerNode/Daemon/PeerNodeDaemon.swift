import Foundation
import Hummingbird
import Identity
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `nodectl daemon`: locks the data directory, reads config.json, starts
/// the node and the HTTP API, writes `api.json` (where the API listens) and
/// runs until SIGINT or SIGTERM, then shuts down gracefully.
public enum PeerNodeDaemon {
    /// What `api.json` in the data directory says, for clients.
    public struct APIFile: Codable, Sendable {
        public let url: String
        public let pid: Int32
        public let address: String
    }

    public static func run(dataDirectory: String, logger: Logger) async throws {
        do { try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true) } catch {
            throw PeerNodeError.dataDirectory(path: dataDirectory, why: "cannot create it (\(error.localizedDescription))")
        }
        let lock = try DataLock(directory: dataDirectory)
        let identityPath = dataDirectory + "/identity.json"
        guard FileManager.default.fileExists(atPath: identityPath) else { throw PeerNodeError.noIdentity(dataDirectory) }
        let identity = try KeyFile.load(path: identityPath)
        let configPath = dataDirectory + "/config.json"
        let config = try NodeConfig.load(path: configPath)
        if !FileManager.default.fileExists(atPath: configPath) { try? config.save(path: configPath) }
        var logger = logger
        logger.logLevel = Logger.Level(rawValue: config.logLevel) ?? .info
        if config.apiPort != 0 { try checkPortFree(host: config.apiHost, port: config.apiPort) }
        let token = try APIToken.loadOrCreate(directory: dataDirectory)

        let node = try await PeerNode.start(dataDirectory: dataDirectory, config: config, identity: identity,
                                            logger: logger)
        let apiFile = dataDirectory + "/api.json"
        let appLogger = logger
        let boundURL = URLBox()
        let router = APIServer.router(node: node, token: token, baseURL: { boundURL.get() })
        let host = config.apiHost
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: config.apiPort), serverName: "peernode"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.apiPort
                let url = "http://\(host):\(port)"
                boundURL.set(url)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.withoutEscapingSlashes]
                if let data = try? encoder.encode(APIFile(url: url, pid: getpid(), address: node.address.base58)) {
                    try? data.write(to: URL(fileURLWithPath: apiFile), options: .atomic)
                }
                appLogger.info("API listening", metadata: ["url": "\(url)"])
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: NodeService(node: node)), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do { try await group.run() } catch {
            try? FileManager.default.removeItem(atPath: apiFile)
            await node.stop()
            throw error
        }
        try? FileManager.default.removeItem(atPath: apiFile)
        withExtendedLifetime(lock) {}
        logger.info("daemon stopped")
    }

    /// Fails with a clear message when something already listens on the port.
    static func checkPortFree(host: String, port: Int) throws(PeerNodeError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &addr.sin_addr) == 1 else { return }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 && errno == EADDRINUSE { throw .portInUse(host: host, port: port) }
    }
}

/// Runs the node until graceful shutdown, then stops it (gossip, exchange, store).
struct NodeService: Service {
    let node: PeerNode
    func run() async throws {
        try? await gracefulShutdown()
        await node.stop()
    }
}

/// The API's URL once bound (the port is chosen by the OS when apiPort is 0).
final class URLBox: Sendable {
    private let value = Mutex<String>("")
    func get() -> String { value.withLock { $0 } }
    func set(_ url: String) { value.withLock { $0 = url } }
}
