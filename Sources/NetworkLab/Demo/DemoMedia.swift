import Foundation

/// The demo's video: a generated VOD, a live stream ffmpeg encodes in real
/// time, and the player: it fetches the playlist (the first rendition of a
/// ladder's master playlist), init segments and every segment from a
/// viewer's daemon, each segment compared byte for byte with the creator's,
/// and ffmpeg compares the frames of what was played.
struct DemoMedia: Sendable {
    let work: String
    let settings: DemoSettings

    /// A test pattern with a tone, 720p, a keyframe at every segment boundary.
    func makeVOD() throws -> String {
        let path = work + "/vod.mp4"
        let s = settings.vodSeconds, g = 30 * settings.segmentSeconds
        let (ffmpeg, args) = ChildProcess.ffmpeg([
            "-f", "lavfi", "-i", "testsrc=duration=\(s):size=1280x720:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=\(s)",
            "-c:v", "libx264", "-preset", "veryfast", "-g", "\(g)", "-keyint_min", "\(g)", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", path])
        try ChildProcess.run(ffmpeg, args, log: work + "/logs/ffmpeg-vod.log", timeout: settings.ffmpegTimeout)
        return path
    }

    /// Starts the live encoder: ffmpeg writes HLS into `folder` in real time
    /// (-re) and ends the playlist after `liveSeconds`.
    func startLiveEncoder(folder: String, processes: ProcessGroup) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let g = 25 * settings.segmentSeconds
        let (ffmpeg, args) = ChildProcess.ffmpeg([
            "-re", "-f", "lavfi", "-i", "testsrc2=size=854x480:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=660", "-t", "\(settings.liveSeconds)",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "\(g)", "-keyint_min", "\(g)", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-f", "hls", "-hls_time", "\(settings.segmentSeconds)", "-hls_list_size", "0",
            "-hls_flags", "temp_file", folder + "/index.m3u8"])
        try processes.start("live encoder", ffmpeg, args, log: work + "/logs/ffmpeg-live.log")
    }

    /// What a viewer played of a stream.
    struct Playback: Sendable {
        var viewer: String
        var stream: String
        /// Media sequence numbers, in order.
        var segments: [UInt64] = []
        /// The segments as the viewer got them, and as the creator serves them, one after the other.
        var file: String
        var reference: String
        /// Seconds from the first playlist request to the first segment's bytes.
        var firstSegmentSeconds: Double?
        /// A player that starts with the first segment and plays in real
        /// time would have stopped this often, for this long in all, waiting
        /// for a segment that had not arrived.
        var stalls = 0
        var stallSeconds = 0.0
    }

    /// The creator's copy of each segment, fetched once for all players.
    final class CreatorCopies: @unchecked Sendable {
        /// The creator as it is now (`nodectl sim` may restart it on another API port).
        let creator: @Sendable () throws -> DemoNode
        private let lock = NSLock()
        private var copies: [String: [UInt8]] = [:]
        init(creator: DemoNode) { self.creator = { creator } }
        init(current: @escaping @Sendable () throws -> DemoNode) { creator = current }
        func bytes(_ path: String, deadline: Date) throws -> [UInt8] {
            if let known = lock.withLock({ copies[path] }) { return known }
            let fetched = try DemoMedia.fetchSegment(try creator(), path, deadline: deadline)
            lock.withLock { copies[path] = fetched }
            return fetched
        }
    }

    /// Plays a stream from `viewer`'s local URL as an HLS player does: the
    /// playlist, then each segment it lists, again and again until
    /// #EXT-X-ENDLIST (at once for a VOD; a live stream is followed in real
    /// time from the first segment listed). Each segment must be the same
    /// bytes as the creator's. Like a player it tries again when the node
    /// answers 503 (no peer could provide a chunk yet).
    func play(viewer: DemoNode, reference copies: CreatorCopies, stream: String, name: String) throws -> Playback {
        let base = "/hls/\(stream)/"
        var playback = Playback(viewer: viewer.name, stream: stream, file: work + "/\(viewer.name)-\(name).ts",
                                reference: work + "/\(viewer.name)-\(name)-creator.ts")
        let out = try Self.create(playback.file), reference = try Self.create(playback.reference)
        defer { try? out.close(); try? reference.close() }
        let started = Date()
        let deadline = started.addingTimeInterval(settings.liveTimeout)
        var lastProblem = "the stream was never listed"
        // The playhead of a real-time player: where it is due to need the next segment.
        var due: Date?
        var playlist = base + "index.m3u8"
        // CMAF init segments already written ahead of their media segments.
        var maps = Set<String>()
        while Date() < deadline {
            let (status, body) = try viewer.fetch(playlist)
            if status == 200 {
                let text = String(decoding: body, as: UTF8.self)
                let lines = text.split(separator: "\n")
                // A ladder's master playlist: play its first (highest) rendition, as a player starting on the best one does.
                if text.contains("#EXT-X-STREAM-INF"), let variant = lines.first(where: { !$0.hasPrefix("#") && !$0.isEmpty }) {
                    playlist = base + variant
                    continue
                }
                for (index, entry) in lines.enumerated() {
                    if entry.hasPrefix("#EXT-X-MAP:"), let uri = Self.mapURI(entry), maps.insert(uri).inserted {
                        let mine = try Self.fetchSegment(viewer, base + uri, deadline: deadline)
                        let theirs = try copies.bytes(base + uri, deadline: deadline)
                        guard mine == theirs, !mine.isEmpty else {
                            throw LabFailure("init segment \(uri) of \(stream): \(viewer.name) got \(mine.count) bytes that differ from the creator's \(theirs.count)")
                        }
                        out.write(Data(mine))
                        reference.write(Data(theirs))
                        continue
                    }
                    guard !entry.hasPrefix("#"), let sequence = Self.sequence(of: entry) else { continue }
                    if let last = playback.segments.last, sequence <= last { continue }
                    let mine = try Self.fetchSegment(viewer, base + entry, deadline: deadline)
                    let arrived = Date()
                    if playback.firstSegmentSeconds == nil { playback.firstSegmentSeconds = arrived.timeIntervalSince(started) }
                    if let late = due.map({ arrived.timeIntervalSince($0) }), late > 0 {
                        playback.stalls += 1
                        playback.stallSeconds += late
                        due = arrived
                    }
                    due = (due ?? arrived).addingTimeInterval(Self.duration(before: index, in: lines) ?? Double(settings.segmentSeconds))
                    let theirs = try copies.bytes(base + entry, deadline: deadline)
                    guard mine == theirs, !mine.isEmpty else {
                        throw LabFailure("segment \(entry) of \(stream): \(viewer.name) got \(mine.count) bytes that differ from the creator's \(theirs.count)")
                    }
                    out.write(Data(mine))
                    reference.write(Data(theirs))
                    playback.segments.append(sequence)
                }
                if text.contains("#EXT-X-ENDLIST") { return playback }
            } else if status == 404 || status == 503 {
                lastProblem = "the playlist answered \(status): \(String(decoding: body.prefix(200), as: UTF8.self))"
            } else {
                throw LabFailure("\(viewer.name)'s playlist of \(stream) answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
            }
            Thread.sleep(forTimeInterval: 0.3)
        }
        throw LabError("timed out after \(Int(settings.liveTimeout)) s waiting for \(stream) to end on \(viewer.name) (played segments \(playback.segments); \(lastProblem))")
    }

    /// Decodes what was played and the creator's copy with ffmpeg and
    /// compares their packets (`-f framemd5`); returns how many there are.
    func compareFrames(_ playback: Playback, viewer: String, stream: String) throws -> Int {
        let mine = try frameMD5(playback.file), theirs = try frameMD5(playback.reference)
        guard !mine.isEmpty else { throw LabFailure("\(viewer) played no packets of \(stream)") }
        guard mine == theirs else {
            let at = zip(mine, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(mine.count, theirs.count)
            throw LabFailure("\(viewer)'s frames of \(stream) differ from the creator's at packet \(at) (\(mine.count) vs \(theirs.count) packets)")
        }
        return mine.count
    }

    /// The packets' md5 lines of a file (`ffmpeg -c copy -f framemd5`).
    private func frameMD5(_ file: String) throws -> [Substring] {
        let md5 = file + ".framemd5"
        let (ffmpeg, args) = ChildProcess.ffmpeg(["-i", file, "-c", "copy", "-f", "framemd5", md5])
        try ChildProcess.run(ffmpeg, args, log: work + "/logs/ffmpeg-framemd5.log", timeout: settings.ffmpegTimeout)
        let text = (try? String(contentsOfFile: md5, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }
    }

    /// A segment's media sequence from the node's name for it: `N.ts`, `N.m4s`, `480p-N.m4s`.
    static func sequence(of uri: Substring) -> UInt64? {
        let name = uri.split(separator: "-").last ?? uri
        for ext in [".ts", ".m4s"] where name.hasSuffix(ext) { return UInt64(name.dropLast(ext.count)) }
        return nil
    }

    /// The URI of an `#EXT-X-MAP:URI="..."` line.
    static func mapURI(_ line: Substring) -> String? {
        guard let start = line.range(of: "URI=\"") else { return nil }
        return line[start.upperBound...].split(separator: "\"").first.map(String.init)
    }

    /// The `#EXTINF` duration of the segment listed on line `index`.
    static func duration(before index: Int, in lines: [Substring]) -> Double? {
        guard index > 0, lines[index - 1].hasPrefix("#EXTINF:") else { return nil }
        return Double(lines[index - 1].dropFirst("#EXTINF:".count).prefix { $0 != "," })
    }

    private static func create(_ path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw LabError("cannot create \(path)")
        }
        return handle
    }

    /// A segment's bytes; a 503 (no peer could provide a chunk yet) is tried
    /// again until `deadline`, any other error fails.
    static func fetchSegment(_ node: DemoNode, _ path: String, deadline: Date) throws -> [UInt8] {
        while true {
            let (status, body) = try node.fetch(path)
            if status == 200 { return body }
            guard status == 503, Date() < deadline else {
                throw LabFailure("\(node.name) could not serve \(path): \(status) \(String(decoding: body.prefix(300), as: UTF8.self))")
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }
}
