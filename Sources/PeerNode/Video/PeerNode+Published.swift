import ContentStore
import Foundation
import Gossip

/// Our own catalog across restarts: what we publish is saved in
/// `streams.json` (PublishedStreams) and, after a start, restored from the
/// pinned manifests, live ingests resumed, and announced again once we have
/// a peer, as our peer record is.
extension PeerNode {
    func savePublished() {
        var list = PublishedStreams()
        for (id, s) in own.sorted(by: { $0.key < $1.key }) {
            list.streams.append(.init(stream: id.description, title: s.manifest.title,
                                      manifest: s.manifest.sequence > 0 ? s.cid.description : nil,
                                      liveFolder: s.manifest.ended ? nil : s.live?.directory,
                                      pricePerSecond: s.manifest.pricePerSecond, live: s.settings,
                                      plainDigests: s.plainDigests.isEmpty || s.manifest.ended ? nil
                                          : Dictionary(uniqueKeysWithValues: s.plainDigests.map { ("\($0.key)", $0.value.description) }),
                                      recorded: s.recorded.isEmpty ? nil : s.recorded))
        }
        do { try list.save(dataDirectory: dataDirectory) } catch {
            logger.error("cannot save the list of published streams; they will not be listed after a restart",
                         metadata: ["error": "\(error)"])
        }
    }

    func restorePublished() async {
        let list: PublishedStreams
        do { list = try PublishedStreams.load(dataDirectory: dataDirectory) } catch {
            logger.error("published streams not restored", metadata: ["error": "\(error)"])
            return
        }
        for entry in list.streams {
            do { try await restore(entry) } catch {
                logger.error("published stream not restored", metadata: ["stream": "\(entry.stream)", "error": "\(error)"])
            }
        }
        if !list.streams.isEmpty {
            logger.info("published streams restored", metadata: ["streams": "\(own.count)"])
        }
    }

    private func restore(_ entry: PublishedStreams.Entry) async throws {
        let id = try parseStream(entry.stream)
        guard id.creator == address else { throw PeerNodeError.badManifest("\(id) is not a stream of this node") }
        var manifest = newLiveManifest(id, title: entry.title, pricePerSecond: entry.pricePerSecond)
        var cid = manifest.cid
        if let text = entry.manifest {
            let parsed: CID
            do { parsed = try CID(text) } catch { throw PeerNodeError.badManifest("manifest CID '\(text)': \(error)") }
            guard let bytes = try? store.chunk(parsed) else {
                throw PeerNodeError.notFound("manifest \(parsed) in the store (removed by hand?)")
            }
            manifest = try StreamManifest.decode(bytes)
            guard manifest.stream == id.description else {
                throw PeerNodeError.badManifest("manifest \(parsed) is for \(manifest.stream), not \(id)")
            }
            cid = parsed
            manifests[cid] = manifest
        }
        guard manifest.kind == .live, !manifest.ended else {
            own[id] = OwnStream(manifest: manifest, cid: cid, live: nil, settings: entry.live)
            return
        }
        var isDirectory: ObjCBool = false
        if let folder = entry.liveFolder, FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory),
           isDirectory.boolValue {
            ingest(id, manifest: manifest, cid: cid, folder: folder, settings: entry.live ?? defaultLiveSettings)
            own[id]?.recorded = entry.recorded ?? []
            for (sequence, digest) in entry.plainDigests ?? [:] {
                if let n = UInt64(sequence), let cid = try? CID(digest) { own[id]?.plainDigests[n] = cid }
            }
            savePublished()
            logger.info("live stream resumed", metadata: ["stream": "\(id)", "folder": "\(folder)"])
        } else {
            own[id] = OwnStream(manifest: manifest, cid: cid, live: nil, settings: entry.live,
                                recorded: entry.recorded ?? [])
            if manifest.sequence > 0 { try await finishLive(id) } else { own[id] = nil; savePublished() }
            logger.notice("live stream ended: its folder is gone", metadata: ["stream": "\(id)"])
        }
    }

    /// Announces every stream we publish (after a restart, once we have a peer).
    func announceOwn() async {
        for (id, s) in own where s.manifest.sequence > 0 {
            let announcement = StreamAnnouncement(
                stream: id, title: String(s.manifest.title.prefix(StreamAnnouncement.maxTitleBytes)),
                pricePerSecond: s.manifest.pricePerSecond, manifest: s.cid,
                liveSegment: s.manifest.kind == .live ? s.manifest.segments.last?.sequence : nil)
            do { try await gossip.announce(announcement) } catch {
                logger.warning("announcement failed", metadata: ["stream": "\(id)", "error": "\(error)"])
            }
        }
    }
}
