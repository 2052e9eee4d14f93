import ContentStore

/// How a file is cut and linked into a UnixFS DAG. The defaults are kubo's
/// `ipfs add` defaults; `.kuboCIDv1` is `ipfs add --cid-version 1` (which
/// turns raw leaves on).
public struct UnixFSOptions: Sendable, Equatable {
    /// kubo's default chunker, `size-262144`.
    public static let defaultChunkSize = 262_144
    /// kubo's balanced layout puts at most 174 links in a node.
    public static let defaultMaxLinks = 174
    /// kubo refuses blocks over 1 MiB.
    public static let maxChunkSize = 1 << 20

    /// 0: CIDv0 (base58 "Qm..."), dag-pb everywhere. 1: CIDv1 (base32 "bafy..."/"bafk...").
    public var cidVersion: Int
    /// Leaves as raw blocks (codec raw) instead of UnixFS dag-pb nodes.
    public var rawLeaves: Bool
    public var chunkSize: Int
    public var maxLinks: Int

    public init(cidVersion: Int = 0, rawLeaves: Bool? = nil,
                chunkSize: Int = UnixFSOptions.defaultChunkSize, maxLinks: Int = UnixFSOptions.defaultMaxLinks) {
        precondition(cidVersion == 0 || cidVersion == 1, "CID version is 0 or 1")
        precondition(chunkSize > 0 && chunkSize <= Self.maxChunkSize, "chunk size is 1 byte to 1 MiB")
        precondition(maxLinks >= 2, "a node needs room for at least two links")
        precondition(!(cidVersion == 0 && rawLeaves == true), "raw leaves need CIDv1")
        self.cidVersion = cidVersion
        self.rawLeaves = rawLeaves ?? (cidVersion == 1)
        self.chunkSize = chunkSize
        self.maxLinks = maxLinks
    }

    /// `ipfs add` with no options.
    public static let kuboDefault = UnixFSOptions()
    /// `ipfs add --cid-version 1`.
    public static let kuboCIDv1 = UnixFSOptions(cidVersion: 1)

    /// The options kubo's `ipfs add` used to make `root`, as far as the CID
    /// tells: v0 roots come from the defaults, v1 roots from `--cid-version 1`.
    public static func producing(_ root: CID) -> UnixFSOptions {
        root.version == 0 ? .kuboDefault : .kuboCIDv1
    }
}
