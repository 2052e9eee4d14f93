import ContentStore
import Foundation

/// Computes the root CID kubo's `ipfs add` gives a file, without storing
/// anything (like `ipfs add --only-hash`): fixed-size chunks, leaves as
/// UnixFS dag-pb nodes (or raw blocks), and kubo's balanced layout.
///
/// The layout, as go-unixfs's balanced builder does it: the first leaf is
/// the root; while data remains, a new root is made with the old root as
/// its first link and filled, to one more level of depth, with up to
/// `maxLinks` children (leaves at depth 1, filled subtrees below).
/// Memory is one chunk plus one node per level.
public enum UnixFS {
    /// The root of `bytes`.
    public static func root<Bytes: Collection>(of bytes: Bytes, options: UnixFSOptions = .kuboDefault) -> UnixFSRoot
    where Bytes.Element == UInt8 {
        let data = Array(bytes)
        var offset = 0
        var builder = Builder(options: options) { want in
            let end = min(data.count, offset + want)
            defer { offset = end }
            return Array(data[offset..<end])
        }
        // Reading from memory cannot fail.
        return (try? builder.build())!
    }

    /// The root of the file at `path`, read in chunks; `progress(done, total)`
    /// is called after each chunk.
    public static func root(ofFile path: String, options: UnixFSOptions = .kuboDefault,
                            progress: ((UInt64, UInt64) -> Void)? = nil) throws(RemotePinError) -> UnixFSRoot {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .fileUnreadable(path, "cannot open it")
        }
        defer { try? handle.close() }
        let total: UInt64
        do {
            total = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
        } catch {
            throw .fileUnreadable(path, "\(error)")
        }
        var done: UInt64 = 0
        var builder = Builder(options: options) { want in
            var chunk: [UInt8] = []
            // Like Go's io.ReadFull: a chunk is short only at the end of the file.
            while chunk.count < want {
                guard let piece = try handle.read(upToCount: want - chunk.count), !piece.isEmpty else { break }
                chunk.append(contentsOf: piece)
            }
            done += UInt64(chunk.count)
            progress?(done, total)
            return chunk
        }
        do {
            let root = try builder.build()
            if root.fileSize != total {
                throw RemotePinError.fileUnreadable(path, "it changed while being read (\(total) bytes before, \(root.fileSize) read)")
            }
            return root
        } catch let error as RemotePinError {
            throw error
        } catch {
            throw .fileUnreadable(path, "\(error)")
        }
    }

    /// The root of the bytes `read(n)` gives (up to n bytes a call, fewer
    /// only at the end): files too large to hold in memory.
    public static func root(options: UnixFSOptions = .kuboDefault,
                            reading read: @escaping (Int) throws -> [UInt8]) throws -> UnixFSRoot {
        var builder = Builder(options: options, read: read)
        return try builder.build()
    }

    /// The root of `bytes` and every block of its DAG (leaves first, each
    /// parent after its children), e.g. to put them to a node one by one.
    public static func blocks<Bytes: Collection>(of bytes: Bytes, options: UnixFSOptions = .kuboDefault)
    -> (root: UnixFSRoot, blocks: [(cid: CID, bytes: [UInt8])]) where Bytes.Element == UInt8 {
        let data = Array(bytes)
        var offset = 0
        var collected: [(cid: CID, bytes: [UInt8])] = []
        var builder = Builder(options: options) { want in
            let end = min(data.count, offset + want)
            defer { offset = end }
            return Array(data[offset..<end])
        }
        builder.emit = { collected.append(($0, $1)) }
        let root = (try? builder.build())!
        return (root, collected)
    }

    /// The CID `bytes` must hash to under the options that made `cid`
    /// (v0: kubo defaults; v1: `--cid-version 1`).
    public static func matches<Bytes: Collection>(_ bytes: Bytes, cid: CID) -> Bool where Bytes.Element == UInt8 {
        root(of: bytes, options: .producing(cid)).cid == cid
    }
}

/// One node on its way into a parent: its CID, its DAG's cumulative size,
/// and how many bytes of the file it covers.
struct LinkedNode {
    let cid: CID
    let dagSize: UInt64
    let fileSize: UInt64
}

struct Builder {
    let options: UnixFSOptions
    /// Returns up to `want` bytes; fewer only at the end.
    let read: (Int) throws -> [UInt8]
    /// Sees each block as it is made, when set.
    var emit: ((CID, [UInt8]) -> Void)?
    private var lookahead: [UInt8]?
    private var fileSize: UInt64 = 0
    private var blockCount = 0

    init(options: UnixFSOptions, read: @escaping (Int) throws -> [UInt8]) {
        self.options = options
        self.read = read
    }

    private mutating func peek() throws -> [UInt8]? {
        if lookahead == nil {
            let chunk = try read(options.chunkSize)
            lookahead = chunk
        }
        return lookahead!.isEmpty ? nil : lookahead
    }

    private mutating func done() throws -> Bool { try peek() == nil }

    private mutating func nextChunk() throws -> [UInt8] {
        let chunk = try peek() ?? []
        lookahead = nil
        fileSize += UInt64(chunk.count)
        return chunk
    }

    mutating func build() throws -> UnixFSRoot {
        var root: LinkedNode
        if try done() {
            root = leaf([])
        } else {
            root = leaf(try nextChunk())
            var depth = 1
            while try !done() {
                var parent = InnerNode()
                parent.add(root)
                root = try fill(parent, depth: depth)
                depth += 1
            }
        }
        return UnixFSRoot(cid: root.cid, fileSize: fileSize, dagSize: root.dagSize, blockCount: blockCount)
    }

    private mutating func fill(_ start: InnerNode, depth: Int) throws -> LinkedNode {
        var node = start
        while node.links.count < options.maxLinks, try !done() {
            let child = depth == 1 ? leaf(try nextChunk()) : try fill(InnerNode(), depth: depth - 1)
            node.add(child)
        }
        return commit(node)
    }

    // ---- blocks ----------------------------------------------------------

    private mutating func leaf(_ chunk: [UInt8]) -> LinkedNode {
        blockCount += 1
        if options.rawLeaves {
            let cid = CID.hashing(chunk, codec: .raw)
            emit?(cid, chunk)
            return LinkedNode(cid: cid, dagSize: UInt64(chunk.count), fileSize: UInt64(chunk.count))
        }
        var data = ProtoWriter()
        data.field(1, varint: UnixFSData.file)
        if !chunk.isEmpty { data.field(2, bytes: chunk) }
        data.field(3, varint: UInt64(chunk.count))
        var node = ProtoWriter()
        node.field(1, bytes: data.bytes)
        let cid = dagPBCID(node.bytes)
        emit?(cid, node.bytes)
        return LinkedNode(cid: cid, dagSize: UInt64(node.bytes.count), fileSize: UInt64(chunk.count))
    }

    private mutating func commit(_ inner: InnerNode) -> LinkedNode {
        blockCount += 1
        let block = inner.encoded()
        let dagSize = UInt64(block.count) + inner.links.reduce(0) { $0 + $1.dagSize }
        let cid = dagPBCID(block)
        emit?(cid, block)
        return LinkedNode(cid: cid, dagSize: dagSize, fileSize: inner.fileSize)
    }

    private func dagPBCID(_ block: [UInt8]) -> CID {
        let digest = ChunkHash.sha256(block)
        // A sha256 digest is 32 bytes and dag-pb takes both versions.
        return (try? CID(version: options.cidVersion, codec: .dagPB, digest: digest))!
    }
}

/// UnixFS's Data message: Type (File = 2), Data, filesize, blocksizes.
enum UnixFSData {
    static let file: UInt64 = 2
}

/// A dag-pb node with links to the children of a file's range.
struct InnerNode {
    private(set) var links: [LinkedNode] = []
    private(set) var fileSize: UInt64 = 0

    mutating func add(_ child: LinkedNode) {
        links.append(child)
        fileSize += child.fileSize
    }

    /// dag-pb's canonical form: the links first (Hash, Name "", Tsize), then Data.
    func encoded() -> [UInt8] {
        var data = ProtoWriter()
        data.field(1, varint: UnixFSData.file)
        data.field(3, varint: fileSize)
        for link in links { data.field(4, varint: link.fileSize) }
        var node = ProtoWriter()
        for link in links {
            var pbLink = ProtoWriter()
            pbLink.field(1, bytes: link.cid.bytes)
            pbLink.field(2, bytes: [UInt8]())
            pbLink.field(3, varint: link.dagSize)
            node.field(2, bytes: pbLink.bytes)
        }
        node.field(1, bytes: data.bytes)
        return node.bytes
    }
}
