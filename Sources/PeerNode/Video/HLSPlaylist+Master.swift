import Foundation

/// The master playlist of a stream with a ladder (RFC 8216 §4.3.4.2): one
/// EXT-X-STREAM-INF per rendition with what MediaProbe measured, highest
/// first, so a player that takes the first entry starts on the best one.
extension HLSPlaylist {
    public static func master(_ manifest: StreamManifest, uri: (String) -> String) -> String {
        var out = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        for rendition in manifest.allRenditions.sorted(by: { $0.media.bandwidth > $1.media.bandwidth }) {
            let m = rendition.media
            out += "#EXT-X-STREAM-INF:BANDWIDTH=\(m.bandwidth),AVERAGE-BANDWIDTH=\(m.averageBandwidth)"
            out += ",RESOLUTION=\(m.width)x\(m.height),FRAME-RATE=\(String(format: "%.3f", m.frameRate))"
            out += ",CODECS=\"\(m.codecs)\"\n\(uri(m.name))\n"
        }
        return out
    }

    /// One entry of a master playlist, as a player (and the tests) read it.
    public struct Variant: Sendable, Equatable {
        public var uri: String
        public var attributes: [String: String]
    }

    /// The variants a master playlist lists, in order.
    public static func variants(_ text: String) -> [Variant] {
        var out: [Variant] = []
        var pending: [String: String]?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#EXT-X-STREAM-INF:") {
                pending = attributes(line.dropFirst(18))
            } else if let attributes = pending, !line.isEmpty, !line.hasPrefix("#") {
                out.append(Variant(uri: line, attributes: attributes))
                pending = nil
            }
        }
        return out
    }

    /// An attribute list (`A=1,B="x,y"`): quoted values keep their commas and lose their quotes.
    static func attributes(_ list: Substring) -> [String: String] {
        var out: [String: String] = [:]
        var key = "", value = "", inKey = true, quoted = false
        for c in list {
            if inKey {
                if c == "=" { inKey = false } else if c != "," { key.append(c) }
            } else if c == "\"" {
                quoted.toggle()
            } else if c == ",", !quoted {
                out[key] = value
                key = ""; value = ""; inKey = true
            } else {
                value.append(c)
            }
        }
        if !key.isEmpty { out[key] = value }
        return out
    }
}
