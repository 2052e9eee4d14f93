/// What `nodectl ls --json` prints (the store's files and totals, read
/// offline: no daemon answer). Decoded as a type so a renamed field fails
/// the decoding instead of reading as "absent".
public struct StoreListing: Decodable, Sendable {
    public struct File: Decodable, Sendable {
        public let cid: String
        public let name: String
        public let size: UInt64
        public let chunks: Int
        public let pinned: Bool
    }

    public let files: [File]
    public let chunks: Int
    public let bytes: UInt64
    public let pinnedRoots: Int
}
