import Foundation
import Gossip
import Identity

/// A stream named on the command line: CREATOR/NAME, or a playlist URL
/// pasted from a player (`http://127.0.0.1:7390/hls/CREATOR/NAME/index.m3u8`),
/// checked here so a typo gets its answer at once, not a 404 from the daemon.
enum StreamArgument {
    /// The stream as CREATOR/NAME, or an error saying what is wrong and where to look.
    static func parse(_ text: String) throws -> String {
        var id = text.trimmingCharacters(in: .whitespaces)
        if id.contains("://") || id.hasPrefix("/hls/") {
            guard let range = id.range(of: "/hls/") else {
                throw CLIError("'\(text)' is a URL but not a stream's playlist URL (…/hls/CREATOR/NAME/index.m3u8)\n" + hint())
            }
            let parts = id[range.upperBound...].split(separator: "/", omittingEmptySubsequences: true)
            guard parts.count >= 2 else {
                throw CLIError("'\(text)' has no CREATOR/NAME after /hls/\n" + hint())
            }
            id = parts[0] + "/" + parts[1]
        }
        let parts = id.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw CLIError("'\(text)' is not a stream: give CREATOR/NAME (the creator's address, a slash, the stream's name)\n" + hint())
        }
        guard (try? Address(base58: String(parts[0]))) != nil else {
            throw CLIError("'\(parts[0])' in '\(text)' is not a creator address (base58, as `nodectl id` prints it)\n" + hint())
        }
        do { return try StreamID(id).description } catch {
            throw CLIError("'\(parts[1])' in '\(text)' is not a stream name: \(error)\n" + hint())
        }
    }

    /// Where to find the streams this node knows.
    static func hint(waited: Double? = nil) -> String {
        let wait = waited.map { $0 > 0 ? " (waited \(Int($0)) s)" : "; --wait SECONDS gives its announcement time to arrive" } ?? ""
        return "hint: `nodectl streams` lists the streams this node knows" + wait
    }
}
