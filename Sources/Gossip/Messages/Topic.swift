import Identity
import Transport

/// A stream: its creator's address and a name chosen by the creator. The
/// creator is part of the id, so who may announce or moderate a stream is
/// decided from the id alone.
public struct StreamID: Hashable, Sendable, CustomStringConvertible, Comparable {
    public static let maxNameBytes = 64
    public let creator: Address
    public let name: String

    public init(creator: Address, name: String) throws(WireError) {
        guard !name.isEmpty, name.utf8.count <= Self.maxNameBytes,
              name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f && $0 != "/" }) else {
            throw .invalid("a stream name is 1 to \(Self.maxNameBytes) bytes without spaces, controls or '/'")
        }
        self.creator = creator
        self.name = name
    }

    /// "creator/name".
    public var description: String { "\(creator.base58)/\(name)" }

    public init(_ text: String) throws(WireError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let creator = try? Address(base58: String(parts[0])) else {
            throw .invalid("'\(text)' is not creator/name")
        }
        try self.init(creator: creator, name: String(parts[1]))
    }

    public static func < (a: StreamID, b: StreamID) -> Bool { a.description < b.description }
}

/// The topics this node speaks. Anything else on the wire is an unknown
/// topic: dropped and counted.
public enum Topic: Hashable, Sendable, CustomStringConvertible {
    /// Signed peer records.
    case peers
    /// Stream announcements from creators.
    case streams
    /// Chat of one stream.
    case chat(StreamID)
    /// Moderation of one stream's chat, by its creator.
    case moderation(StreamID)

    public static let maxBytes = 160

    public var description: String {
        switch self {
        case .peers: return "peers/1"
        case .streams: return "streams/1"
        case .chat(let s): return "chat/1/\(s)"
        case .moderation(let s): return "mod/1/\(s)"
        }
    }

    public init(_ text: String) throws(WireError) {
        switch text {
        case "peers/1": self = .peers
        case "streams/1": self = .streams
        default:
            if text.hasPrefix("chat/1/") {
                self = .chat(try StreamID(String(text.dropFirst(7))))
            } else if text.hasPrefix("mod/1/") {
                self = .moderation(try StreamID(String(text.dropFirst(6))))
            } else {
                throw .unknownTopic(String(text.prefix(64)))
            }
        }
    }

    /// The stream a chat or moderation topic belongs to.
    public var stream: StreamID? {
        switch self {
        case .chat(let s), .moderation(let s): return s
        default: return nil
        }
    }
}
