import Foundation

/// Where the node pins and fetches remotely, read from DATA/remote.json
/// (every field optional; missing ones take `RemoteDefaults`). Command-line
/// options override it.
///
///     { "ipfsAPI": "http://127.0.0.1:5001", "ipfsAPIAuthorization": "Bearer ...",
///       "ipfsGateway": "http://127.0.0.1:8080",
///       "pinningService": "https://pins.example/psa", "pinningServiceToken": "...",
///       "arweaveBundler": "http://127.0.0.1:1984", "arweaveGateway": "http://127.0.0.1:1984",
///       "requestTimeout": 120, "pinWaitTimeout": 300 }
public struct RemoteConfig: Codable, Sendable, Equatable {
    public var ipfsAPI: String?
    public var ipfsAPIAuthorization: String?
    public var ipfsGateway: String?
    public var pinningService: String?
    public var pinningServiceToken: String?
    public var arweaveBundler: String?
    public var arweaveGateway: String?
    public var requestTimeout: Double?
    public var pinWaitTimeout: Double?

    public init(ipfsAPI: String? = nil, ipfsAPIAuthorization: String? = nil, ipfsGateway: String? = nil,
                pinningService: String? = nil, pinningServiceToken: String? = nil,
                arweaveBundler: String? = nil, arweaveGateway: String? = nil,
                requestTimeout: Double? = nil, pinWaitTimeout: Double? = nil) {
        self.ipfsAPI = ipfsAPI
        self.ipfsAPIAuthorization = ipfsAPIAuthorization
        self.ipfsGateway = ipfsGateway
        self.pinningService = pinningService
        self.pinningServiceToken = pinningServiceToken
        self.arweaveBundler = arweaveBundler
        self.arweaveGateway = arweaveGateway
        self.requestTimeout = requestTimeout
        self.pinWaitTimeout = pinWaitTimeout
    }

    public static let fileName = "remote.json"

    /// The file's settings; defaults when there is no file.
    public static func load(path: String) throws(RemotePinError) -> RemoteConfig {
        guard FileManager.default.fileExists(atPath: path) else { return RemoteConfig() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .config("cannot read \(path)")
        }
        do {
            return try JSONDecoder().decode(RemoteConfig.self, from: data)
        } catch {
            throw .config("\(path) is not valid: \(error)")
        }
    }

    /// A node's settings: DATA/remote.json, with the pinning service token
    /// from `$PEERNODE_PINNING_TOKEN` when that is set.
    public static func load(dataDirectory: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(RemotePinError) -> RemoteConfig {
        try load(path: dataDirectory + "/" + fileName)
            .overridden(by: RemoteConfig(pinningServiceToken: environment[tokenVariable]))
    }

    /// The environment variable that holds the pinning service token.
    public static let tokenVariable = "PEERNODE_PINNING_TOKEN"

    /// `other`'s set fields over this one's.
    public func overridden(by other: RemoteConfig) -> RemoteConfig {
        RemoteConfig(ipfsAPI: other.ipfsAPI ?? ipfsAPI, ipfsAPIAuthorization: other.ipfsAPIAuthorization ?? ipfsAPIAuthorization,
                     ipfsGateway: other.ipfsGateway ?? ipfsGateway, pinningService: other.pinningService ?? pinningService,
                     pinningServiceToken: other.pinningServiceToken ?? pinningServiceToken,
                     arweaveBundler: other.arweaveBundler ?? arweaveBundler, arweaveGateway: other.arweaveGateway ?? arweaveGateway,
                     requestTimeout: other.requestTimeout ?? requestTimeout, pinWaitTimeout: other.pinWaitTimeout ?? pinWaitTimeout)
    }

    var timeout: Double { requestTimeout ?? RemoteDefaults.requestTimeout }

    public var kubo: KuboRPCClient.Config {
        .init(apiURL: ipfsAPI ?? RemoteDefaults.ipfsAPI, authorization: ipfsAPIAuthorization, timeout: timeout)
    }

    public var gateway: GatewayClient.Config {
        .init(gatewayURL: ipfsGateway ?? RemoteDefaults.ipfsGateway, timeout: timeout)
    }

    /// nil when no pinning service is configured.
    public func pinning() throws(RemotePinError) -> PinningServiceClient.Config? {
        guard let endpoint = pinningService else { return nil }
        guard let token = pinningServiceToken, !token.isEmpty else {
            throw .config("a pinning service is set (\(endpoint)) but no token: set pinningServiceToken in \(Self.fileName) "
                          + "or pass --pinning-token")
        }
        return .init(endpoint: endpoint, token: token, timeout: timeout)
    }

    public var bundler: BundlerClient.Config {
        let b = arweaveBundler ?? RemoteDefaults.arweaveBundler
        return .init(bundlerURL: b, gatewayURL: arweaveGateway ?? b, timeout: timeout)
    }
}
