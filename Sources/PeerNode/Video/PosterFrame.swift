import Foundation

/// A stream's poster: one frame of the video as a JPEG at most 720 lines
/// high, taken a second in (the first frames are often black) or halfway
/// through a shorter video. Stored as chunks and named in the manifest, so
/// it is verified like a segment wherever it is fetched from.
enum PosterFrame {
    static let fileName = "poster.jpg"
    static let mediaType = "image/jpeg"

    static func take(video: String, duration: Double, into path: String) throws(PeerNodeError) {
        let at = duration > 0 ? min(1, duration / 2) : 0
        let (status, errors) = HLSSegmenter.runFFmpeg([
            "-hide_banner", "-loglevel", "error", "-y", "-ss", String(format: "%.3f", at), "-i", video,
            "-frames:v", "1", "-vf", "scale=-2:'min(720,ih)'", "-q:v", "3", path])
        guard status == 0, FileManager.default.fileExists(atPath: path) else {
            throw .ffmpeg("cannot take a poster frame of \(video): \(errors.prefix(300))")
        }
    }
}
