/// The content store's parameters, with their defaults in one place.
public struct StoreConfig: Sendable {
    /// Largest chunk we store or accept from the network.
    public static let maxChunkSize = 1 << 20
    /// kubo's default chunk size, so single chunks match `ipfs add --raw-leaves`.
    public static let defaultChunkSize = 256 << 10

    /// Chunk size used when adding files.
    public var chunkSize: Int = StoreConfig.defaultChunkSize
    /// Upper bound on stored chunk bytes; unpinned chunks are evicted least
    /// recently used first to stay under it. nil: no quota.
    public var quotaBytes: UInt64? = nil
    /// Bytes of chunks per write transaction while adding a file; the add
    /// also holds one batch in buffers so hashing overlaps the commit. What a
    /// crash can lose is one batch of (unreferenced) chunks.
    public var ingestBatchBytes: Int = 32 << 20
    /// LMDB map size: the most the store can ever hold.
    public var mapSize: Int = 256 << 30
    /// Free space the store leaves on its filesystem: it does not open with
    /// less, and a write that would leave less is refused as `diskFull`
    /// before it starts, so the daemon's other files (vouchers, config,
    /// streams.json) always have room and the store never sees a short write.
    public var minFreeBytes: UInt64 = StoreConfig.defaultMinFreeBytes
    public static let defaultMinFreeBytes: UInt64 = 4 << 20
    /// Skip fsync (benchmarks and scratch stores only).
    public var noSync: Bool = false

    public init() {}
}
