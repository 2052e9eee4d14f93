import LMDB

/// Errors of the daemon, each saying what to do about it.
public enum PeerNodeError: Error, CustomStringConvertible, Equatable {
    case badConfig(String)
    case dataDirectoryLocked(path: String, pid: String)
    case portInUse(host: String, port: Int)
    /// A gossip or exchange port chosen on an earlier start (RememberedPorts) is taken now.
    case rememberedPortTaken(link: String, host: String, port: Int, file: String, field: String)
    /// The data directory cannot be created or written.
    case dataDirectory(path: String, why: String)
    case listenFailed(String)
    case noIdentity(String)
    case notFound(String)
    case badManifest(String)
    case unavailable(String)
    case ffmpeg(String)
    case badRequest(String)
    /// Playing or fetching would break a payment rule: the viewer's limits,
    /// or a node without a wallet asked to pay.
    case paymentRequired(String)
    /// A money figure or action asked of a node without a payment program.
    case paymentsOff(String)
    /// Not enough free space (before a publish, or the start on a full disk).
    case diskFull(DiskFull)

    public var description: String {
        switch self {
        case .badConfig(let why): return "bad config: \(why)"
        case .dataDirectoryLocked(let path, let pid):
            return "the data directory \(path) is in use by another daemon, or by a nodectl command that changes its store (pid \(pid)); stop it or use another --data-dir"
        case .portInUse(let host, let port):
            return "the API port \(host):\(port) is taken; stop what uses it or set apiPort in config.json"
        case .rememberedPortTaken(let link, let host, let port, let file, let field):
            return "the \(link) port \(host):\(port) is taken by another program; this node chose it on its first start and "
                + "keeps it (in \(file)) so that peers bootstrapping from it still find it. Stop what uses the port, "
                + "or set \(field) in config.json to another port, or delete \(file) to let the node choose a new one "
                + "(peers then need its new endpoint, from GET /v1/id)"
        case .dataDirectory(let path, let why):
            return "cannot use the data directory \(path): \(why); the daemon writes its lock, store and state there, "
                + "so make it writable by this user or choose another --data-dir"
        case .listenFailed(let why): return "cannot listen: \(why)"
        case .noIdentity(let path): return "no identity in \(path); run `nodectl init --data-dir \(path)` first"
        case .notFound(let what): return "not found: \(what)"
        case .badManifest(let why): return "invalid stream manifest: \(why)"
        case .unavailable(let why): return "unavailable: \(why)"
        case .ffmpeg(let why): return "ffmpeg: \(why)"
        case .badRequest(let why): return "bad request: \(why)"
        case .paymentRequired(let why): return "payment required: \(why)"
        case .diskFull(let full): return full.description
        case .paymentsOff(let what):
            return "\(what): this node does not take part in payments (config.json has no programId); to pay and be paid, "
                + "deploy the payment-channel program with `nodectl chain deploy`, set programId in config.json and restart "
                + "the daemon (docs/payments.md)"
        }
    }
}
