/// Defaults for talking to remote IPFS and Arweave services, in one place.
public enum RemoteDefaults {
    /// Seconds for one HTTP call, an upload included.
    public static let requestTimeout: Double = 120
    /// Largest file fetched back from a gateway or `cat` (1 GiB).
    public static let maxFetchBytes = 1 << 30
    /// How long to follow a pin request before giving up (it may still finish).
    public static let pinWaitTimeout: Double = 300
    /// Seconds between polls of a pin request's status.
    public static let pinPollInterval: Double = 1
    /// kubo's RPC API, gateway; an Arweave bundler and gateway, all on loopback.
    public static let ipfsAPI = "http://127.0.0.1:5001"
    public static let ipfsGateway = "http://127.0.0.1:8080"
    public static let arweaveBundler = "http://127.0.0.1:1984"
}
