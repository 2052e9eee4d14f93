import Foundation

/// The demo's video: a generated VOD, a live stream ffmpeg encodes in real
/// time, and the players: ffmpeg for the VOD (its frames compared with the
/// creator's), a playlist follower for the live stream (each segment
/// compared byte for byte with the creator's).
struct DemoMedia: Sendable {
    let work: String
    let settings: DemoSettings

    /// A test pattern with a tone, 720p, a keyframe at every segment boundary.
    func makeVOD() throws -> String {
        let path = work + "/vod.mp4"
        let s = settings.vodSeconds, g = 30 * settings.segmentSeconds
        let (ffmpeg, args) = DemoProcesses.ffmpeg([
            "-f", "lavfi", "-i", "testsrc=duration=\(s):size=1280x720:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=\(s)",
            "-c:v", "libx264", "-preset", "veryfast", "-g", "\(g)", "-keyint_min", "\(g)", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", path])
        try DemoProcesses.run(ffmpeg, args, log: work + "/logs/ffmpeg-vod.log", timeout: settings.ffmpegTimeout)
        return path
    }

    /// Starts the live encoder: ffmpeg writes HLS into `folder` in real time
    /// (-re) and ends the playlist after `liveSeconds`.
    func startLiveEncoder(folder: String, processes: DemoProcesses) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let g = 25 * settings.segmentSeconds
        let (ffmpeg, args) = DemoProcesses.ffmpeg([
            "-re", "-f", "lavfi", "-i", "testsrc2=size=854x480:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=660", "-t", "\(settings.liveSeconds)",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "\(g)", "-keyint_min", "\(g)", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-f", "hls", "-hls_time", "\(settings.segmentSeconds)", "-hls_list_size", "0",
            "-hls_flags", "temp_file", folder + "/index.m3u8"])
        try processes.start("live encoder", ffmpeg, args, log: work + "/logs/ffmpeg-live.log")
    }

    /// Plays a VOD from `viewer`'s local URL with `ffmpeg -i URL -c copy`
    /// (a real HLS client: the playlist, then every segment) and from the
    /// creator's; throws unless the frames are the same. Returns the packets.
    func playVOD(viewer: DemoNode, creator: DemoNode, stream: String) throws -> Int {
        let mine = try copyAndHash(viewer, stream, name: "\(viewer.name)-vod")
        let reference = try copyAndHash(creator, stream, name: "\(viewer.name)-vod-reference")
        guard !mine.isEmpty else { throw DemoFailure("\(viewer.name) played no packets of \(stream)") }
        guard mine == reference else {
            let at = zip(mine, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(mine.count, reference.count)
            throw DemoFailure("\(viewer.name)'s frames of \(stream) differ from the creator's at packet \(at) (\(mine.count) vs \(reference.count) packets; see \(work)/\(viewer.name)-vod.framemd5)")
        }
        return mine.count
    }

    /// `ffmpeg -i URL -c copy` into a file, then its packets' md5 (`-f framemd5`).
    private func copyAndHash(_ node: DemoNode, _ stream: String, name: String) throws -> [Substring] {
        let copy = work + "/\(name).ts", md5 = work + "/\(name).framemd5"
        let log = work + "/logs/ffmpeg-\(name).log"
        let url = node.apiURL + "/hls/\(stream)/index.m3u8"
        let (ffmpeg, play) = DemoProcesses.ffmpeg(["-i", url, "-c", "copy", "-f", "mpegts", copy])
        try DemoProcesses.run(ffmpeg, play, log: log, timeout: settings.ffmpegTimeout)
        let (_, hash) = DemoProcesses.ffmpeg(["-i", copy, "-c", "copy", "-f", "framemd5", md5])
        try DemoProcesses.run(ffmpeg, hash, log: log, timeout: settings.ffmpegTimeout)
        let text = (try? String(contentsOfFile: md5, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }
    }

    /// Follows `viewer`'s live playlist as a player does, from the first
    /// segment it lists until #EXT-X-ENDLIST, fetching each new segment and
    /// comparing it with the creator's. Returns the segment numbers played.
    func followLive(viewer: DemoNode, creator: DemoNode, stream: String) throws -> [UInt64] {
        let base = "/hls/\(stream)/"
        var played: [UInt64] = []
        let deadline = Date().addingTimeInterval(settings.liveTimeout)
        while Date() < deadline {
            let (status, body) = try viewer.fetch(base + "index.m3u8")
            if status == 200 {
                let text = String(decoding: body, as: UTF8.self)
                let names = text.split(separator: "\n").filter { $0.hasSuffix(".ts") }
                for name in names {
                    guard let sequence = UInt64(name.dropLast(3)) else { continue }
                    if let last = played.last, sequence <= last { continue }
                    let (vs, mine) = try viewer.fetch(base + name)
                    guard vs == 200 else {
                        throw DemoFailure("\(viewer.name) could not play segment \(name) of \(stream): \(String(decoding: mine.prefix(300), as: UTF8.self))")
                    }
                    let (cs, theirs) = try creator.fetch(base + name)
                    guard cs == 200, mine == theirs, !mine.isEmpty else {
                        throw DemoFailure("segment \(name) of \(stream): \(viewer.name) got \(mine.count) bytes that differ from the creator's \(theirs.count)")
                    }
                    played.append(sequence)
                }
                if text.contains("#EXT-X-ENDLIST") { return played }
            } else if status != 404 {
                throw DemoFailure("\(viewer.name)'s playlist of \(stream) answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
            }
            Thread.sleep(forTimeInterval: 0.3)
        }
        throw CLIError("timed out after \(Int(settings.liveTimeout)) s waiting for the live stream \(stream) to end on \(viewer.name) (played segments \(played))")
    }
}
