import Foundation

/// Measures a rendition from its output, as PeerTube does before writing a
/// master playlist: ffprobe for the size, frame rate and codecs, the init
/// segment's `avcC` box for the exact H.264 profile and level (RFC 6381
/// `avc1.PPCCLL`), and the segments' own sizes and durations for the peak
/// and average bandwidth a player plans with.
enum MediaProbe {
    struct Output: Decodable {
        struct Stream: Decodable {
            var codec_type: String?
            var codec_name: String?
            var codec_tag_string: String?
            var profile: String?
            var pix_fmt: String?
            var level: Int?
            var width: Int?
            var height: Int?
            var avg_frame_rate: String?
            var r_frame_rate: String?
        }
        struct Format: Decodable { var duration: String? }
        var streams: [Stream]?
        var format: Format?
    }

    /// `source`: what ffprobe reads (the rendition's local playlist);
    /// `initSegment`: its init segment's path; `segments`: the plain media
    /// segments' sizes and durations.
    static func measure(source: String, initSegment: String?,
                        segments: [(size: UInt64, duration: Double)]) throws(PeerNodeError) -> StreamManifest.Media {
        let (status, out, errors) = runFFprobe(["-v", "error", "-show_entries",
                                                "stream=codec_type,codec_name,codec_tag_string,profile,level,width,height,avg_frame_rate,r_frame_rate:format=duration",
                                                "-of", "json", source])
        guard status == 0, let probed = try? JSONDecoder().decode(Output.self, from: out) else {
            throw .ffmpeg("ffprobe cannot read \(source): \(errors.prefix(300))")
        }
        let streams = probed.streams ?? []
        guard let video = streams.first(where: { $0.codec_type == "video" }), let width = video.width, let height = video.height,
              width > 0, height > 0 else {
            throw .ffmpeg("\(source) has no video stream ffprobe can size")
        }
        let avcC = initSegment.flatMap { FileManager.default.contents(atPath: $0) }.flatMap { avcConfiguration(Array($0)) }
        var codecs = [videoCodec(video, avcC: avcC)]
        if let audio = streams.first(where: { $0.codec_type == "audio" }) { codecs.append(audioCodec(audio)) }
        let rate = fraction(video.avg_frame_rate) ?? fraction(video.r_frame_rate) ?? 0
        let seconds = segments.reduce(0) { $0 + $1.duration }
        let bytes = segments.reduce(UInt64(0)) { $0 + $1.size }
        let peak = segments.filter { $0.duration > 0 }.map { Double($0.size) * 8 / $0.duration }.max() ?? 0
        return StreamManifest.Media(
            codecs: codecs.joined(separator: ","), width: width, height: height,
            frameRate: rate > 0 && rate <= 1000 ? (rate * 1000).rounded() / 1000 : 30,
            bandwidth: UInt64(peak.rounded(.up)),
            averageBandwidth: seconds > 0 ? UInt64((Double(bytes) * 8 / seconds).rounded(.up)) : 0,
            duration: probed.format?.duration.flatMap(Double.init) ?? seconds)
    }

    /// "avc1.64001f" from the avcC box's profile, compatibility and level
    /// bytes; ffprobe's profile and level when there is no init segment.
    static func videoCodec(_ stream: Output.Stream, avcC: [UInt8]?) -> String {
        guard stream.codec_name == "h264" else { return stream.codec_tag_string.map(clean) ?? "unknown" }
        if let avcC { return "avc1." + avcC.map { String(format: "%02x", $0) }.joined() }
        let profile: String
        switch stream.profile ?? "" {
        case "Constrained Baseline": profile = "42e0"
        case "Baseline": profile = "4200"
        case "Main": profile = "4d40"
        default: profile = "6400"
        }
        return "avc1." + profile + String(format: "%02x", max(0, min(255, stream.level ?? 31)))
    }

    /// AAC's object types as RFC 6381 writes them (mp4a.40.2 is AAC-LC).
    static func audioCodec(_ stream: Output.Stream) -> String {
        switch (stream.codec_name ?? "", stream.profile ?? "") {
        case ("aac", "HE-AAC"): return "mp4a.40.5"
        case ("aac", "HE-AACv2"): return "mp4a.40.29"
        case ("aac", _): return "mp4a.40.2"
        case ("mp3", _): return "mp4a.40.34"
        case ("ac3", _): return "ac-3"
        case ("opus", _): return "Opus"
        default: return stream.codec_tag_string.map(clean) ?? "unknown"
        }
    }

    /// The three bytes after an `avcC` box's version: profile, compatibility, level.
    static func avcConfiguration(_ bytes: [UInt8]) -> [UInt8]? {
        let tag = Array("avcC".utf8)
        guard bytes.count > 8 else { return nil }
        for i in 0..<(bytes.count - 8) where Array(bytes[i..<i + 4]) == tag && bytes[i + 4] == 1 {
            return Array(bytes[i + 5..<i + 8])
        }
        return nil
    }

    /// "30000/1001" as a number.
    static func fraction(_ text: String?) -> Double? {
        guard let parts = text?.split(separator: "/"), parts.count == 2,
              let n = Double(parts[0]), let d = Double(parts[1]), d > 0, n > 0 else { return nil }
        return n / d
    }

    private static func clean(_ tag: String) -> String {
        String(tag.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }.prefix(16))
    }

    /// ffprobe's status, standard output and errors.
    static func runFFprobe(_ arguments: [String]) -> (Int32, Data, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffprobe"] + arguments
        // Errors go to a file, so that a full error pipe can never stall the output we read.
        let errorPath = NSTemporaryDirectory() + "ffprobe-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        guard FileManager.default.createFile(atPath: errorPath, contents: nil),
              let errors = FileHandle(forWritingAtPath: errorPath) else { return (-1, Data(), "cannot write \(errorPath)") }
        defer { try? errors.close() }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, Data(), "cannot run ffprobe (install ffmpeg): \(error)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, data, text)
    }
}
