import Foundation

/// A synthetic video made with ffmpeg (a test pattern and a tone, H.264 and
/// AAC, a keyframe every `keyframeInterval` frames): what the benchmarks
/// publish, so their figures do not depend on a file someone has.
public enum TestVideo {
    /// Writes `path` (an .mp4) of `seconds` at `size` (WxH) and 25 fps;
    /// ffmpeg's messages go to `path`.log. Throws with them when it fails.
    public static func make(_ path: String, seconds: Int, size: String = "640x360", keyframeInterval: Int = 50,
                            timeout: Double = 300) throws {
        let (ffmpeg, arguments) = ChildProcess.ffmpeg([
            "-f", "lavfi", "-i", "testsrc=duration=\(seconds):size=\(size):rate=25",
            "-f", "lavfi", "-i", "sine=duration=\(seconds)", "-c:v", "libx264", "-preset", "ultrafast",
            "-g", "\(keyframeInterval)", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path])
        try ChildProcess.run(ffmpeg, arguments, log: path + ".log", timeout: timeout)
    }
}
