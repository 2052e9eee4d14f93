import Foundation
import NetworkLab
import PeerNode
import Testing
import TestSupport

/// Nodes on separate hosts (network namespaces on a bridge, made and removed
/// here, as root): a creator bound to all interfaces, viewers on other hosts
/// that know it by its host address; then the creator restarts and its VOD
/// is listed, announced and played again.
@Suite(.serialized, .enabled(if: TestHosts.available, "makes network namespaces: needs root and iproute2 (CI runs as root)"))
struct HostsTests {
    static let apiPort = 7390, gossipPort = 4101, exchangePort = 4102

    /// A daemon on one host: its data directory, config and process.
    final class HostNode {
        let hosts: TestHosts
        let host: Int
        let name: String
        let dataDir: String
        let log: String
        var process: ChildProcess?

        init(_ name: String, on host: Int, hosts: TestHosts, scratch: Scratch, config: [String: Any]) throws {
            self.hosts = hosts
            self.host = host
            self.name = name
            dataDir = scratch.path + "/" + name
            log = scratch.path + "/" + name + ".log"
            _ = try EndToEndTests.nodectl(["init", "--data-dir", dataDir])
            var full: [String: Any] = ["apiPort": HostsTests.apiPort, "logLevel": "info"]
            for (k, v) in config { full[k] = v }
            try JSONSerialization.data(withJSONObject: full).write(to: URL(fileURLWithPath: dataDir + "/config.json"))
        }

        func start() throws {
            try? FileManager.default.removeItem(atPath: dataDir + "/api.json")
            process = try hosts.start(on: host, nodectlBinary, ["daemon", "--data-dir", dataDir], log: log)
            try waitFor("\(name)'s API on host \(host)", timeout: 60) {
                guard self.process?.isRunning == true else { throw TestFailure("\(self.name) exited: \(self.logText)") }
                return (try? self.get("/v1/id")).map { $0.status == 0 } ?? false
            }
        }

        func stop() {
            guard let process, process.isRunning else { return }
            process.stop(signal: SIGINT, grace: 20)
        }

        var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// A GET on the node's own loopback API, from inside its host, as a player there does.
        func get(_ path: String) throws -> NodectlProcess.Result {
            try hosts.run(on: host, "/usr/bin/curl", ["-sf", "--max-time", "60", "http://127.0.0.1:\(HostsTests.apiPort)" + path])
        }

        func nodectl(_ arguments: [String], timeout: Double = 180) throws -> NodectlProcess.Result {
            try hosts.run(on: host, nodectlBinary, arguments + ["--data-dir", dataDir], timeout: timeout)
        }

        func streams() -> [PeerNode.StreamSummary] {
            guard let r = try? get("/v1/streams"), r.status == 0 else { return [] }
            return (try? r.decode(as: [PeerNode.StreamSummary].self)) ?? []
        }

        /// Plays a VOD as a player does (the playlist, then each segment);
        /// returns the segments' bytes.
        /// What a player gets: a ladder's first rendition, its init segment
        /// (CMAF) and every media segment, in playlist order.
        func play(_ stream: String, timeout: Double = 90) throws -> [[UInt8]] {
            var playlist = ""
            var path = "index.m3u8"
            try waitFor("\(name) to get the playlist of \(stream)", timeout: timeout) {
                guard let r = try? self.get("/hls/\(stream)/\(path)"), r.status == 0 else { return false }
                playlist = String(decoding: r.stdout, as: UTF8.self)
                if let variant = HLSPlaylist.variants(playlist).first {
                    path = variant.uri
                    return false
                }
                return playlist.contains("#EXT-X-ENDLIST")
            }
            var segments: [[UInt8]] = []
            var maps = Set<String>()
            for entry in HLSPlaylist.parse(playlist).entries {
                let uris = (entry.map.map { maps.insert($0).inserted ? [$0] : [] } ?? []) + [entry.uri]
                for uri in uris {
                    var bytes: [UInt8] = []
                    try waitFor("\(name) to play \(uri)", timeout: timeout) {
                        guard let r = try? self.get("/hls/\(stream)/\(uri)"), r.status == 0, !r.stdout.isEmpty else { return false }
                        bytes = Array(r.stdout)
                        return true
                    }
                    segments.append(bytes)
                }
            }
            return segments
        }
    }

    @Test("A creator bound to 0.0.0.0 on one host, viewers on two others: they fetch and play; after the creator restarts its VOD is listed, announced and played again")
    func creatorAndViewersOnSeparateHosts() throws {
        let hosts = try TestHosts(count: 3)
        defer { hosts.remove() }
        let scratch = try Scratch("hosts")
        let video = try makeTestVideo(in: scratch, seconds: 6)

        let creator = try HostNode("creator", on: 1, hosts: hosts, scratch: scratch, config: [
            "listen": "tcp://0.0.0.0:\(Self.gossipPort)", "exchangeListen": "tcp://0.0.0.0:\(Self.exchangePort)"])
        defer { creator.stop() }
        try creator.start()
        let creatorAddress = try creator.nodectl(["id"]).text
        let bootstrap = "\(creatorAddress)@tcp://\(hosts.address(1)):\(Self.gossipPort)"
        var viewers: [HostNode] = []
        defer { for v in viewers { v.stop() } }
        for host in 2...3 {
            let viewer = try HostNode("viewer-\(host)", on: host, hosts: hosts, scratch: scratch, config: [
                "listen": "tcp://0.0.0.0:\(Self.gossipPort)", "exchangeListen": "tcp://0.0.0.0:\(Self.exchangePort)",
                "bootstrap": [bootstrap]])
            try viewer.start()
            viewers.append(viewer)
        }

        let published = try creator.nodectl(["publish", video, "--title", "Across hosts", "--name", "hosts", "--json"])
        #expect(published.status == 0, "publish: \(published.stderr)")
        let stream = try published.decode(as: PeerNode.Published.self).stream
        #expect(stream.hasSuffix("/hosts"))
        let reference = try creator.play(stream)
        #expect(reference.count >= 3)

        for viewer in viewers {
            let played = try viewer.play(stream)
            #expect(played == reference, "\(viewer.name) played the creator's bytes")
            // The creator is known by a dialable address, never the wildcard it is bound to.
            let peers = String(decoding: try viewer.get("/v1/peers").stdout, as: UTF8.self)
            #expect(peers.contains("tcp://\(hosts.address(1)):\(Self.exchangePort)"), "\(peers)")
            #expect(!peers.contains("0.0.0.0"), "\(peers)")
        }

        // The creator restarts: its catalog is still there, announced again,
        // and played by a newcomer that knows only the creator.
        creator.stop()
        for v in viewers { v.stop() }
        try creator.start()
        let own = creator.streams().first { $0.stream == stream }
        #expect(own?.own == true, "the creator lists its VOD after a restart: \(creator.streams())")
        #expect(creator.logText.contains("published streams restored"))
        let newcomer = try HostNode("newcomer", on: 3, hosts: hosts, scratch: scratch, config: [
            "listen": "tcp://0.0.0.0:\(Self.gossipPort)", "exchangeListen": "tcp://0.0.0.0:\(Self.exchangePort)",
            "bootstrap": [bootstrap]])
        viewers.append(newcomer)
        try newcomer.start()
        try waitFor("the newcomer to hear of \(stream)", timeout: 60) {
            newcomer.streams().contains { $0.stream == stream }
        }
        #expect(try newcomer.play(stream) == reference, "the newcomer played the creator's bytes after its restart")
    }
}
