#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Gossip
import Synchronization

/// Watches a folder that ffmpeg (or OBS) writes a live HLS stream into. A
/// segment is taken once the encoder lists it in its playlist (it writes
/// the playlist only after closing the segment), by what it is, never by
/// its name: an encoder that restarts into the same folder writes
/// index0.ts, index1.ts, ... again with new content, and those are new
/// segments (after a discontinuity, or in a new stream, as the creator
/// chose). Each is stored and announced in playlist order. A CMAF folder
/// (`#EXT-X-MAP` in the playlist) has its init segment taken with the first
/// segment that uses it.
/// `#EXT-X-ENDLIST` in the folder's playlist, `stop()`, or the stream's
/// stall timeout (PeerNode.liveTick) ends the stream.
final class LiveIngest: Sendable {
    let stream: StreamID
    let directory: String
    let interval: Double
    private let node: PeerNode
    private let task = TaskBox()

    init(node: PeerNode, stream: StreamID, directory: String, interval: Double) {
        self.node = node
        self.stream = stream
        self.directory = directory
        self.interval = interval
    }

    func start() {
        let work = Task { [self] in await self.run() }
        task.set(work)
    }

    func stop() async {
        guard let work = task.take() else { return }
        work.cancel()
        await work.value
    }

    /// The playlist ffmpeg writes: index.m3u8 if present, else the first *.m3u8.
    func playlistPath() -> String? {
        let preferred = directory + "/index.m3u8"
        if FileManager.default.fileExists(atPath: preferred) { return preferred }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().first { $0.hasSuffix(".m3u8") }.map { directory + "/" + $0 }
    }

    /// What a listed file was when we last read it: its name, size and
    /// modification time, and the hash of its bytes.
    private struct Seen {
        var size: Int64
        var modified: timespec
        var digest: CID
    }

    private func run() async {
        var stream = self.stream
        var taken = Set<CID>()
        var order: [CID] = []
        var seen: [String: Seen] = [:]
        var lastMediaSequence: UInt64?
        while !Task.isCancelled {
            if let path = playlistPath(), let text = try? String(contentsOfFile: path, encoding: .utf8),
               let written = Self.modified(path) {
                let playlist = HLSPlaylist.parse(text)
                var restarted = lastMediaSequence.map { playlist.mediaSequence < $0 } ?? false
                var fresh: [(HLSPlaylist.Entry, String, CID)] = []
                for entry in playlist.entries {
                    let file = entry.uri.hasPrefix("/") ? entry.uri : directory + "/" + entry.uri
                    // Deleted by the encoder before we got to it (a slow pass): skip it.
                    guard let info = Self.fileInfo(file) else { continue }
                    // Being written again (a restarted encoder reusing the name) after
                    // this playlist was: not this entry any more; wait for the next playlist.
                    if Self.later(info.st_mtim, than: written) { break }
                    let digest: CID
                    if let known = seen[entry.uri], known.size == Int64(info.st_size),
                       !Self.later(info.st_mtim, than: known.modified), !Self.later(known.modified, than: info.st_mtim) {
                        digest = known.digest
                    } else {
                        guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                        digest = CID.hashing(Array(bytes))
                        if let known = seen[entry.uri], known.digest != digest { restarted = true }
                        if seen.count > 10_000 { seen.removeAll() }
                        seen[entry.uri] = Seen(size: Int64(info.st_size), modified: info.st_mtim, digest: digest)
                    }
                    if !taken.contains(digest) { fresh.append((entry, file, digest)) }
                }
                if lastMediaSequence == nil, !fresh.isEmpty {
                    // A resumed ingest (after a daemon restart): what the folder lists up to
                    // the newest segment we already hold came before; some of it may have
                    // left the manifest since, and must not come back as new.
                    let held = await node.newestHeld(stream, files: fresh.map(\.1))
                    for (_, _, digest) in fresh.prefix(held.map { $0 + 1 } ?? 0) {
                        taken.insert(digest)
                        order.append(digest)
                    }
                    fresh.removeFirst(held.map { $0 + 1 } ?? 0)
                }
                lastMediaSequence = playlist.mediaSequence
                if restarted, !fresh.isEmpty {
                    // The names are the new encoder's from now on.
                    let listed = Set(playlist.entries.map(\.uri))
                    seen = seen.filter { listed.contains($0.key) }
                    guard let next = await node.encoderRestarted(stream) else { return }
                    stream = next
                }
                for (entry, file, digest) in fresh {
                    do {
                        let map = entry.map.map { $0.hasPrefix("/") ? $0 : directory + "/" + $0 }
                        try await node.liveSegment(stream, path: file, duration: entry.duration, initPath: map)
                    } catch {
                        // Gone meanwhile: skip it. Anything else is retried on the next pass, in order.
                        if FileManager.default.fileExists(atPath: file) { break }
                    }
                    taken.insert(digest)
                    order.append(digest)
                    if order.count > 10_000 { taken.remove(order.removeFirst()) }
                }
                if playlist.ended, fresh.isEmpty || taken.contains(fresh[fresh.count - 1].2) {
                    try? await node.finishLive(stream)
                    return
                }
            }
            guard await node.liveTick(stream) else { return }
            try? await Task.sleep(for: .seconds(interval))
        }
    }

    private static func fileInfo(_ path: String) -> stat? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return info
    }

    private static func modified(_ path: String) -> timespec? { fileInfo(path)?.st_mtim }

    private static func later(_ a: timespec, than b: timespec) -> Bool {
        a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec
    }
}

/// A task handle set once and taken once, from any thread.
final class TaskBox: Sendable {
    private let box = Mutex<Task<Void, Never>?>(nil)
    func set(_ task: Task<Void, Never>) { box.withLock { $0 = task } }
    func take() -> Task<Void, Never>? { box.withLock { t in defer { t = nil }; return t } }
}
