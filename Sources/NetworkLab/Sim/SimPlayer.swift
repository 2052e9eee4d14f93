import Foundation
import PeerNode

/// How a viewer's player does: what a person watching would have felt.
struct SimPlayback: Codable, Sendable {
    var viewer: String
    var stream: String
    /// Seconds into the playing phase when it started.
    var joinAt: Double
    /// Seconds from the first playlist request to the first segment in hand (nil: never).
    var timeToFirstFrame: Double?
    /// Times the playhead reached the end of what was fetched, and the seconds it waited in all.
    var stalls = 0
    var stallSeconds = 0.0
    /// Each stall: when it began (seconds since the player started) and how long it lasted.
    var stallTimes: [Stall] = []
    /// Seconds since the player started when it left (the end of what it had buffered).
    var leftAfter = 0.0
    /// Media sequence numbers played, in order.
    var segments: [UInt64] = []
    /// Seconds of video played.
    var watchedSeconds = 0.0
    var bytes: UInt64 = 0
    /// Bytes of the same segments as the creator's node serves them.
    var creatorBytes: UInt64 = 0
    /// Segments whose bytes differ from the creator's.
    var mismatched: [UInt64] = []
    /// It was to watch to the end (watch=end) and reached #EXT-X-ENDLIST.
    var wantedEnd: Bool
    var reachedEnd = false
    /// Why it stopped early, if it did.
    var error: String?

    struct Stall: Codable, Sendable {
        var at: Double
        var seconds: Double
    }
}

/// The live figures the progress line shows; set by players on their threads, guarded by the lock.
final class SimLiveCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var playing = 0, done = 0, stalls = 0
    func started() { lock.withLock { playing += 1 } }
    func stalled() { lock.withLock { stalls += 1 } }
    func finished() { lock.withLock { playing -= 1; done += 1 } }
    var snapshot: (playing: Int, done: Int, stalls: Int) { lock.withLock { (playing, done, stalls) } }
}

/// A player as an HLS player works: the playlist from the viewer's own
/// node, then each segment in order, never more than `bufferTarget`
/// seconds ahead of a playhead that moves in real time once the first
/// segment is in. A segment that arrives after the playhead got to it is a
/// stall, lasting as long as the playhead waited. Failures (a 503, a node
/// that is frozen or restarting) are retried until the deadline, as a
/// player keeps trying; the time counts as stalled.
struct SimPlayer: Sendable {
    /// Seconds of video a player keeps fetched ahead of the playhead (hls.js's default maxBufferLength is 30; a short buffer shows stalls sooner).
    var bufferTarget = 6.0
    /// Between playlist polls of a live stream, and between retries.
    var poll = 0.5

    /// `node` gives the viewer's node as it is now (a restart moves its API port).
    func play(viewer: String, stream: String, joinAt: Double, watchSeconds: Double?, deadline: Date,
              node: @Sendable () throws -> DemoNode, creator: DemoMedia.CreatorCopies, counts: SimLiveCounts) -> SimPlayback {
        var p = SimPlayback(viewer: viewer, stream: stream, joinAt: joinAt, wantedEnd: watchSeconds == nil)
        let base = "/hls/\(stream)/"
        let started = Date()
        var playStart: Date?
        counts.started()
        defer { counts.finished() }
        // Where the playhead will run out of fetched video.
        func bufferEnd(_ start: Date) -> Date { start.addingTimeInterval(p.watchedSeconds + p.stallSeconds) }
        var playlist = base + "index.m3u8"
        // CMAF init segments fetched (and checked) already.
        var maps = Set<String>()
        do {
            outer: while Date() < deadline {
                let text = String(decoding: try fetch(node, playlist, deadline: deadline), as: UTF8.self)
                // A ladder's master playlist: its first (highest) rendition, as the demo's player takes.
                if let variant = Self.firstVariant(text) {
                    playlist = base + variant
                    continue
                }
                for (sequence, file, duration, map) in Self.entries(text) {
                    if let last = p.segments.last, sequence <= last { continue }
                    if let limit = watchSeconds, p.watchedSeconds >= limit { break outer }
                    if let start = playStart {
                        let ahead = bufferEnd(start).timeIntervalSinceNow
                        if ahead > bufferTarget { Thread.sleep(forTimeInterval: min(ahead - bufferTarget, deadline.timeIntervalSinceNow)) }
                    }
                    if let map, !maps.contains(map) {
                        // A player's MSE buffer takes the init segment first; it counts as part of the first segment's wait.
                        let mine = try fetch(node, base + map, deadline: deadline)
                        let theirs = try retrying(deadline) { try creator.bytes(base + map, deadline: deadline) }
                        guard mine == theirs, !mine.isEmpty else {
                            throw LabFailure("init segment \(map): \(mine.count) bytes that differ from the creator's \(theirs.count)")
                        }
                        maps.insert(map)
                    }
                    let mine = try fetch(node, base + file, deadline: deadline)
                    let arrived = Date()
                    if let start = playStart {
                        let ranOut = bufferEnd(start)
                        let late = arrived.timeIntervalSince(ranOut)
                        if late > 0 {
                            p.stalls += 1
                            p.stallSeconds += late
                            p.stallTimes.append(.init(at: ranOut.timeIntervalSince(started), seconds: late))
                            counts.stalled()
                        }
                    } else {
                        playStart = arrived
                        p.timeToFirstFrame = arrived.timeIntervalSince(started)
                    }
                    let theirs = try retrying(deadline) { try creator.bytes(base + file, deadline: deadline) }
                    if mine != theirs { p.mismatched.append(sequence) }
                    p.segments.append(sequence)
                    p.watchedSeconds += duration
                    p.bytes += UInt64(mine.count)
                    p.creatorBytes += UInt64(theirs.count)
                }
                if text.contains("#EXT-X-ENDLIST") {
                    p.reachedEnd = watchSeconds == nil || p.watchedSeconds < (watchSeconds ?? 0)
                    break
                }
                Thread.sleep(forTimeInterval: poll)
            }
            if Date() >= deadline, !p.reachedEnd, watchSeconds == nil { p.error = "the deadline came before the end of the stream" }
        } catch {
            p.error = "\(error)"
        }
        // Watch what is buffered to its end, as a person would, before leaving.
        if let start = playStart {
            let rest = min(bufferEnd(start).timeIntervalSinceNow, deadline.timeIntervalSinceNow)
            if rest > 0 { Thread.sleep(forTimeInterval: rest) }
            // Everything fetched is not everything seen: the playhead must get there within the time limit.
            if p.reachedEnd, bufferEnd(start) > deadline {
                p.reachedEnd = false
                p.error = String(format: "the time limit came %.1f s before the playhead reached the end", bufferEnd(start).timeIntervalSince(deadline))
            }
        }
        p.leftAfter = Date().timeIntervalSince(started)
        return p
    }

    /// A playlist or segment: retried on 503, on 404 before the stream is
    /// known, and while the node does not answer, until the deadline.
    private func fetch(_ node: @Sendable () throws -> DemoNode, _ path: String, deadline: Date) throws -> [UInt8] {
        var last = "no answer"
        while Date() < deadline {
            do {
                let (status, body) = try node().fetch(path, timeout: max(1, min(20, deadline.timeIntervalSinceNow)))
                if status == 200 { return body }
                last = "\(status) \(String(decoding: body.prefix(200), as: UTF8.self))"
                guard status == 503 || status == 404 else { throw LabFailure("GET \(path) answered \(last)") }
            } catch let e as LabFailure {
                throw e
            } catch {
                last = "\(error)"
            }
            Thread.sleep(forTimeInterval: poll)
        }
        throw LabError("GET \(path): gave up at the deadline (last: \(last))")
    }

    /// `body` again every `poll` seconds while it fails with anything but a
    /// `LabFailure` (a node that is down or restarting), until the deadline.
    private func retrying<T>(_ deadline: Date, _ body: () throws -> T) throws -> T {
        while true {
            do { return try body() } catch let e as LabFailure { throw e } catch {
                guard Date() < deadline else { throw error }
                Thread.sleep(forTimeInterval: poll)
            }
        }
    }

    /// (sequence, file, seconds, init segment) of each segment a media
    /// playlist lists, read with the node's own playlist parser.
    static func entries(_ text: String) -> [(UInt64, String, Double, String?)] {
        HLSPlaylist.parse(text).entries.compactMap { e in
            DemoMedia.sequence(of: Substring(e.uri)).map { ($0, e.uri, e.duration, e.map) }
        }
    }

    /// The first rendition a master playlist lists; nil for a media playlist.
    static func firstVariant(_ text: String) -> String? { HLSPlaylist.variants(text).first?.uri }
}
