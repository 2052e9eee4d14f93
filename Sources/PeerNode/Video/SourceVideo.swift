import Foundation

/// What a video to publish holds, asked of ffprobe before any cut: whether
/// it can be copied into CMAF as it is, and how high a ladder may reach
/// (never above the source). A file ffprobe cannot read, or one without a
/// video stream, is refused here with ffprobe's reason.
struct SourceVideo: Sendable, Equatable {
    var video: String
    /// The video's pixel format: browsers decode H.264 in 4:2:0 only.
    var pixelFormat: String?
    var audio: String?
    var width: Int
    var height: Int
    var frameRate: Double
    var duration: Double

    static func probe(_ path: String) throws(PeerNodeError) -> SourceVideo {
        let (status, out, errors) = MediaProbe.runFFprobe([
            "-v", "error", "-show_entries",
            "stream=codec_type,codec_name,pix_fmt,width,height,avg_frame_rate,r_frame_rate:format=duration", "-of", "json", path])
        guard status == 0, let probed = try? JSONDecoder().decode(MediaProbe.Output.self, from: out) else {
            let why = errors.trimmingCharacters(in: .whitespacesAndNewlines)
            throw .ffmpeg("cannot read \(path) as a video: \(why.isEmpty ? "ffprobe exited with status \(status)" : String(why.prefix(300)))")
        }
        let streams = probed.streams ?? []
        guard let video = streams.first(where: { $0.codec_type == "video" }), let name = video.codec_name,
              let width = video.width, let height = video.height, width > 0, height > 0 else {
            throw .ffmpeg("\(path) has no video stream (ffprobe found \(streams.compactMap(\.codec_type).joined(separator: ", ")))")
        }
        let rate = MediaProbe.fraction(video.avg_frame_rate) ?? MediaProbe.fraction(video.r_frame_rate) ?? 25
        return SourceVideo(video: name, pixelFormat: video.pix_fmt, audio: streams.first { $0.codec_type == "audio" }?.codec_name,
                           width: width, height: height, frameRate: rate,
                           duration: probed.format?.duration.flatMap(Double.init) ?? 0)
    }

    /// H.264 in 4:2:0 at an even size: copied into CMAF as it is, for any browser to decode.
    var copiesIntoCMAF: Bool {
        video == "h264" && ["yuv420p", "yuvj420p"].contains(pixelFormat ?? "") && width % 2 == 0 && height % 2 == 0
    }
}
