import ContentStore

/// The root of a file's UnixFS DAG, as `ipfs add` reports it.
public struct UnixFSRoot: Sendable, Equatable, CustomStringConvertible {
    public let cid: CID
    /// The file's length in bytes.
    public let fileSize: UInt64
    /// The DAG's cumulative size: every block's bytes (kubo's "Size" and a link's Tsize).
    public let dagSize: UInt64
    /// How many blocks the DAG has (leaves and inner nodes).
    public let blockCount: Int

    public init(cid: CID, fileSize: UInt64, dagSize: UInt64, blockCount: Int) {
        self.cid = cid
        self.fileSize = fileSize
        self.dagSize = dagSize
        self.blockCount = blockCount
    }

    public var description: String { cid.description }
}
