import Foundation

/// What names a stored file: its chunks in order, size, name and media type.
/// Encoded as canonical DAG-JSON (sorted keys, links as {"/": cid}), so its
/// CID (codec dag-json) is stable and other IPLD tools can read it.
public struct FileManifest: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    /// Largest manifest we decode: ~230k chunks, a 56 GiB file at 256 KiB.
    public static let maxEncodedSize = 16 << 20

    public var version: Int
    public var name: String
    public var mediaType: String
    public var size: UInt64
    public var chunkSize: Int
    public var chunks: [CID]

    public init(name: String, mediaType: String, size: UInt64, chunkSize: Int, chunks: [CID]) {
        self.version = Self.currentVersion
        self.name = name
        self.mediaType = mediaType
        self.size = size
        self.chunkSize = chunkSize
        self.chunks = chunks
    }

    private struct Link: Codable {
        let cid: CID
        enum CodingKeys: String, CodingKey { case cid = "/" }
    }

    private enum CodingKeys: String, CodingKey { case version, name, mediaType, size, chunkSize, chunks }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        name = try c.decode(String.self, forKey: .name)
        mediaType = try c.decode(String.self, forKey: .mediaType)
        size = try c.decode(UInt64.self, forKey: .size)
        chunkSize = try c.decode(Int.self, forKey: .chunkSize)
        chunks = try c.decode([Link].self, forKey: .chunks).map(\.cid)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(name, forKey: .name)
        try c.encode(mediaType, forKey: .mediaType)
        try c.encode(size, forKey: .size)
        try c.encode(chunkSize, forKey: .chunkSize)
        try c.encode(chunks.map(Link.init), forKey: .chunks)
    }

    /// The canonical bytes whose CID names this manifest.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, integers and CIDs cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }

    public var cid: CID { CID.hashing(encoded(), codec: .dagJSON) }

    /// Decodes and checks a manifest: size cap first, then shape and sense.
    public static func decode(_ bytes: [UInt8]) throws(ContentStoreError) -> FileManifest {
        guard bytes.count <= maxEncodedSize else {
            throw .badManifest("manifest is \(bytes.count) bytes; the limit is \(maxEncodedSize)")
        }
        let manifest: FileManifest
        do {
            manifest = try JSONDecoder().decode(FileManifest.self, from: Data(bytes))
        } catch {
            throw .badManifest("not a manifest: \(error)")
        }
        guard manifest.version == currentVersion else {
            throw .badManifest("manifest version \(manifest.version) is not supported (this node reads \(currentVersion))")
        }
        guard manifest.chunkSize > 0, manifest.chunkSize <= StoreConfig.maxChunkSize else {
            throw .badManifest("chunk size \(manifest.chunkSize) is outside 1...\(StoreConfig.maxChunkSize)")
        }
        let expectedChunks = manifest.size == 0 ? 0 : Int((manifest.size + UInt64(manifest.chunkSize) - 1) / UInt64(manifest.chunkSize))
        guard manifest.chunks.count == expectedChunks else {
            throw .badManifest("\(manifest.chunks.count) chunks cannot hold \(manifest.size) bytes at \(manifest.chunkSize) per chunk")
        }
        guard manifest.chunks.allSatisfy({ $0.codec == .raw && $0.version == 1 }) else {
            throw .badManifest("chunks must be CIDv1 raw")
        }
        return manifest
    }
}
