/// ANS-104 tags: an Avro array of {name: string, value: string} records,
/// longs as zig-zag varints. Encoded as one block followed by the empty block,
/// as the reference implementations write it; decoded in any block form.
public struct DataItemTag: Sendable, Equatable, Codable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

enum AvroTags {
    static let maxTags = 128
    static let maxBytes = 4096
    static let maxNameBytes = 1024
    static let maxValueBytes = 3072

    static func validate(_ tags: [DataItemTag]) throws(RemotePinError) {
        guard tags.count <= maxTags else { throw .invalidDataItem("\(tags.count) tags; at most \(maxTags)") }
        for t in tags {
            guard !t.name.isEmpty, !t.value.isEmpty else { throw .invalidDataItem("tag names and values must not be empty") }
            guard t.name.utf8.count <= maxNameBytes else { throw .invalidDataItem("tag name '\(t.name.prefix(40))…' over \(maxNameBytes) bytes") }
            guard t.value.utf8.count <= maxValueBytes else { throw .invalidDataItem("value of tag '\(t.name)' over \(maxValueBytes) bytes") }
        }
    }

    static func encode(_ tags: [DataItemTag]) -> [UInt8] {
        guard !tags.isEmpty else { return [] }
        var out = long(Int64(tags.count))
        for t in tags {
            for s in [t.name, t.value] {
                out += long(Int64(s.utf8.count))
                out += Array(s.utf8)
            }
        }
        out += long(0)
        return out
    }

    private static func long(_ n: Int64) -> [UInt8] {
        var z = UInt64(bitPattern: (n << 1) ^ (n >> 63))
        var out: [UInt8] = []
        repeat {
            let b = UInt8(z & 0x7F)
            z >>= 7
            out.append(z == 0 ? b : b | 0x80)
        } while z != 0
        return out
    }

    static func decode(_ bytes: ArraySlice<UInt8>) throws(RemotePinError) -> [DataItemTag] {
        var reader = Reader(bytes: bytes)
        var tags: [DataItemTag] = []
        while true {
            var count = try reader.long()
            if count == 0 { break }
            if count < 0 {
                // Avro's negative count (a block with its byte size); the
                // smallest Int64 has no positive counterpart.
                guard count != .min else { throw .invalidDataItem("a tag block count of \(count)") }
                count = -count
                _ = try reader.long()  // the block's byte size
            }
            guard count <= Int64(maxTags - tags.count) else { throw .invalidDataItem("more than \(maxTags) tags") }
            for _ in 0..<count {
                tags.append(DataItemTag(try reader.string(), try reader.string()))
            }
        }
        guard reader.atEnd else { throw .invalidDataItem("bytes after the tags' closing block") }
        return tags
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var offset: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            offset = bytes.startIndex
        }

        var atEnd: Bool { offset >= bytes.endIndex }

        mutating func long() throws(RemotePinError) -> Int64 {
            var z: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < bytes.endIndex, shift < 64 else { throw .invalidDataItem("truncated or overlong Avro long in tags") }
                let b = bytes[offset]
                offset += 1
                z |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
            }
            return Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
        }

        mutating func string() throws(RemotePinError) -> String {
            let n = try long()
            guard n >= 0, n <= Int64(bytes.endIndex - offset) else { throw .invalidDataItem("tag string runs past the tag bytes") }
            let slice = bytes[offset..<offset + Int(n)]
            offset += Int(n)
            guard let s = String(validating: slice, as: UTF8.self) else { throw .invalidDataItem("tag is not UTF-8") }
            return s
        }
    }
}
