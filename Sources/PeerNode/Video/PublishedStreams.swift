import ContentStore
import Foundation

/// The streams this node publishes, kept in `streams.json` in the data
/// directory so that a creator who restarts keeps its catalog: each stream's
/// newest manifest CID (the manifest itself is pinned in the store) and,
/// for a live stream, the folder its encoder writes. Rewritten atomically
/// (a temporary file renamed over it) whenever one of them changes, as the
/// peer record and the voucher books are kept across restarts.
struct PublishedStreams: Codable, Equatable {
    struct Entry: Codable, Equatable {
        var stream: String
        var title: String
        /// The newest signed manifest; nil for a live stream with no segment yet.
        var manifest: String?
        /// The HLS folder of a live stream that has not ended.
        var liveFolder: String?
        var pricePerSecond: UInt64
        /// A live stream's stall timeout and restart choice; absent in files
        /// of older nodes (config.json's defaults then apply).
        var live: LiveSettings? = nil
        /// An encrypted live stream's plaintext digests per segment sequence
        /// (OwnStream.plainDigests), so a resumed ingest takes no file twice.
        var plainDigests: [String: String]? = nil
        /// A recorded live stream's segments that left its manifest (OwnStream.recorded).
        var recorded: [StreamManifest.Segment]? = nil
    }

    static let fileName = "streams.json"
    static let version = 1

    var version = Self.version
    var streams: [Entry] = []

    static func path(in dataDirectory: String) -> String { dataDirectory + "/" + fileName }

    /// The saved list; an empty one when there is none yet.
    static func load(dataDirectory: String) throws(PeerNodeError) -> PublishedStreams {
        let path = path(in: dataDirectory)
        guard let data = FileManager.default.contents(atPath: path) else { return PublishedStreams() }
        do {
            let list = try JSONDecoder().decode(PublishedStreams.self, from: data)
            guard list.version == Self.version else {
                throw PeerNodeError.badConfig("\(path) has version \(list.version); this node reads version \(Self.version)")
            }
            return list
        } catch let error as PeerNodeError {
            throw error
        } catch {
            throw .badConfig("\(path) is not a list of published streams (\(error)); move it away to start with an empty catalog")
        }
    }

    func save(dataDirectory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = Self.path(in: dataDirectory)
        let temporary = path + ".tmp"
        try encoder.encode(self).write(to: URL(fileURLWithPath: temporary))
        let file = open(temporary, O_RDONLY)
        if file >= 0 { fsync(file); close(file) }
        guard rename(temporary, path) == 0 else {
            throw PeerNodeError.badConfig("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
