/// The files a player asks for under /hls/CREATOR/NAME/ (docs/video.md):
/// `index.m3u8` (a ladder's master playlist, else the media playlist),
/// `480p.m3u8` (one rendition's), init segments `init.mp4` and `init-N.mp4`
/// (the one segment N brought), media segments `N.m4s` (CMAF) or `N.ts`,
/// a rendition's files prefixed with its name: `480p-init.mp4`, `480p-7.m4s`.
enum HLSFile: Equatable {
    case index
    case playlist(rendition: String)
    case initSegment(rendition: String?, sequence: UInt64?)
    case segment(rendition: String?, sequence: UInt64, cmaf: Bool)

    init?(_ file: String) {
        if file == "index.m3u8" { self = .index; return }
        if file.hasSuffix(".m3u8") {
            let name = String(file.dropLast(5))
            guard Self.isRendition(name) else { return nil }
            self = .playlist(rendition: name)
            return
        }
        var rest = Substring(file)
        var rendition: String?
        if let dash = file.firstIndex(of: "-"), Self.isRendition(String(file[..<dash])) {
            rendition = String(file[..<dash])
            rest = file[file.index(after: dash)...]
        }
        if rest == "init.mp4" { self = .initSegment(rendition: rendition, sequence: nil); return }
        if rest.hasPrefix("init-"), rest.hasSuffix(".mp4"), let n = UInt64(rest.dropFirst(5).dropLast(4)) {
            self = .initSegment(rendition: rendition, sequence: n)
            return
        }
        for (ext, cmaf) in [(".m4s", true), (".ts", false)] where rest.hasSuffix(ext) {
            guard let n = UInt64(rest.dropLast(ext.count)) else { return nil }
            self = .segment(rendition: rendition, sequence: n, cmaf: cmaf)
            return
        }
        return nil
    }

    /// A ladder rendition's name: its height and `p`, "1080p".
    static func isRendition(_ name: String) -> Bool {
        name.count >= 2 && name.count <= 5 && name.hasSuffix("p") && name.dropLast().allSatisfy { $0.isASCII && $0.isNumber }
    }

    var contentType: String {
        switch self {
        case .index, .playlist: return "application/vnd.apple.mpegurl"
        case .initSegment: return "video/mp4"
        case .segment(_, _, let cmaf): return cmaf ? "video/mp4" : "video/mp2t"
        }
    }
}
