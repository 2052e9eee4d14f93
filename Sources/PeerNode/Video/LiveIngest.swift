import Foundation
import Gossip
import Synchronization

/// Watches a folder that ffmpeg (or OBS) writes a live HLS stream into. A
/// segment is taken once the encoder lists it in its playlist (it writes
/// the playlist only after closing the segment); each is stored and
/// announced in order. `#EXT-X-ENDLIST` in the folder's playlist, or
/// `stop()`, ends the stream.
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

    private func run() async {
        var taken = Set<String>()
        var order: [String] = []
        while !Task.isCancelled {
            if let path = playlistPath(), let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let playlist = HLSPlaylist.parse(text)
                for entry in playlist.entries where !taken.contains(entry.uri) {
                    let file = entry.uri.hasPrefix("/") ? entry.uri : directory + "/" + entry.uri
                    do {
                        try await node.liveSegment(stream, path: file, duration: entry.duration)
                        taken.insert(entry.uri)
                        order.append(entry.uri)
                        if order.count > 10_000 { taken.remove(order.removeFirst()) }
                    } catch {
                        // Deleted by the encoder before we got to it (a slow pass): skip it.
                        // Anything else is retried on the next pass, in order.
                        if !FileManager.default.fileExists(atPath: file) {
                            taken.insert(entry.uri)
                            order.append(entry.uri)
                            continue
                        }
                        break
                    }
                }
                if playlist.ended {
                    try? await node.finishLive(stream)
                    return
                }
            }
            try? await Task.sleep(for: .seconds(interval))
        }
    }
}

/// A task handle set once and taken once, from any thread.
final class TaskBox: Sendable {
    private let box = Mutex<Task<Void, Never>?>(nil)
    func set(_ task: Task<Void, Never>) { box.withLock { $0 = task } }
    func take() -> Task<Void, Never>? { box.withLock { t in defer { t = nil }; return t } }
}
