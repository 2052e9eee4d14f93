import ContentStore
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
        // Everything the daemon writes (keys, token, vouchers, config, the
        // store, ffmpeg's segments) is for this user alone, whatever umask
        // it was started with; the data directory itself is 0700.
        umask(0o077)
        try PrivateFile.secureDirectory(dataDirectory)
        let lock = try DataLock(directory: dataDirectory)
        // Segments of a publish the last daemon was killed in: ours alone
        // (we hold the lock), and on a nearly full disk they are the space.
        try? FileManager.default.removeItem(atPath: dataDirectory + "/tmp")
        let identityPath = dataDirectory + "/identity.json"
        guard FileManager.default.fileExists(atPath: identityPath) else { throw PeerNodeError.noIdentity(dataDirectory) }
        let identity = try KeyFile.load(path: identityPath)
        let configPath = dataDirectory + "/config.json"
        let configured = try NodeConfig.load(path: configPath)
        if !FileManager.default.fileExists(atPath: configPath) { try? configured.save(path: configPath) }
        var logger = logger
        logger.logLevel = Logger.Level(rawValue: configured.logLevel) ?? .info
        try checkSpace(dataDirectory: dataDirectory, config: configured)
        if configured.apiPort != 0 { try checkPortFree(host: configured.apiHost, port: configured.apiPort) }
        let config = try RememberedPorts.load(dataDirectory: dataDirectory).applied(to: configured, dataDirectory: dataDirectory)
        let token = try APIToken.loadOrCreate(directory: dataDirectory)

        let node = try await PeerNode.start(dataDirectory: dataDirectory, config: config, identity: identity,
                                            logger: logger)
        remember(RememberedPorts.chosen(configured: configured, gossipEndpoint: node.gossipEndpoint,
                                        exchangeEndpoint: node.exchangeEndpoint),
                 dataDirectory: dataDirectory, logger: logger)
        let bootstrapLog = BootstrapLog.start(gossip: node.gossip, logger: logger)
        let apiFile = dataDirectory + "/api.json"
        let appLogger = logger
        let boundURL = URLBox()
        let router = APIServer.router(node: node, token: token, baseURL: { boundURL.get() })
        let host = config.apiHost
        let policy = LocalOnlyPolicy(port: config.apiPort)
        let requestTimeout = TimeAmount.milliseconds(Int64(config.apiRequestTimeout * 1000))
        let app = Application(
            responder: LocalOnlyResponder(router.buildResponder(), policy: policy, metrics: node.metrics),
            server: .http1(configuration: .init(additionalChannelHandlers: [RequestDeadline(timeout: requestTimeout)])),
            configuration: .init(address: .hostname(host, port: config.apiPort), serverName: "peernode",
                                 availableConnectionsDelegate: .maximum(APIServer.maxConnections, logger: logger)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.apiPort
                policy.port = port
                let url = "http://\(clientHost(host)):\(port)"
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
            bootstrapLog.cancel()
            throw error
        }
        bootstrapLog.cancel()
        try? FileManager.default.removeItem(atPath: apiFile)
        withExtendedLifetime(lock) {}
        logger.info("daemon stopped")
    }

    /// How clients on this machine reach an API bound to `host`: a wildcard
    /// through loopback (the Host header names no wildcard: LocalOnlyPolicy),
    /// an IPv6 address in brackets.
    static func clientHost(_ host: String) -> String {
        switch host {
        case "0.0.0.0", "": return "127.0.0.1"
        case "::", "[::]": return "[::1]"
        default: return host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        }
    }

    /// On a full disk LMDB's first touch of its lock file was SIGBUS; the
    /// store now preallocates it, and a daemon refuses to start without the
    /// store's reserve (`minFreeBytes`) free rather than fail at its first write.
    static func checkSpace(dataDirectory: String, config: NodeConfig) throws(PeerNodeError) {
        var store = StoreConfig()
        store.minFreeBytes = config.minFreeBytes
        do { try ChunkStore.checkSpace(directory: dataDirectory, config: store) } catch {
            if case .diskFull(let full) = error { throw .diskFull(full) }
            throw .dataDirectory(path: dataDirectory, why: "\(error)")
        }
    }

    /// Fails with a clear message when something already listens on the port.
    static func checkPortFree(host: String, port: Int) throws(PeerNodeError) {
        if !TCPPort.isFree(host: host, port: port) { throw .portInUse(host: host, port: port) }
    }

    /// Writes the ports chosen for `:0` endpoints to ports.json when they changed.
    static func remember(_ chosen: RememberedPorts, dataDirectory: String, logger: Logger) {
        guard chosen != RememberedPorts(), chosen != (try? RememberedPorts.load(dataDirectory: dataDirectory)) else { return }
        do {
            try chosen.save(dataDirectory: dataDirectory)
            logger.info("ports chosen for this node, kept for its next starts",
                        metadata: ["file": "\(RememberedPorts.path(dataDirectory: dataDirectory))",
                                   "gossip": "\(chosen.gossip.map(String.init) ?? "-")",
                                   "exchange": "\(chosen.exchange.map(String.init) ?? "-")"])
        } catch {
            logger.warning("cannot write \(RememberedPorts.path(dataDirectory: dataDirectory)): \(error); the ports will change on the next start")
        }
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
