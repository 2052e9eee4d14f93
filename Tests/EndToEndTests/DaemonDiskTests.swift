import Foundation
import NetworkLab
import PeerNode
import Testing
import TestSupport

/// A daemon whose data directory is on a small real disk (a 20 MiB tmpfs)
/// that fills: clear "disk full" answers, no crash, nothing stored lost.
@Suite(.serialized) struct DaemonDiskTests {
    @Test func publishingOnAFullDiskIsRefusedAtOnceAndTheDaemonLivesOn() throws {
        let scratch = try Scratch("disk-publish")
        let disk = try SmallDisk(label: "publish")
        defer { disk.remove() }
        let video = try makeTestVideo(in: scratch)
        let nodes = try Scratch(in: disk.path, "nodes")
        var creator: DaemonProcess? = try DaemonProcess(name: "creator", in: nodes)
        defer { creator?.stop() }
        guard let node = creator else { return }

        let published = try node.publish(video, title: "First", name: "first")
        #expect(published.status == 200, "\(published)")
        let stream = try #require(published.value?.stream)
        let (firstStatus, firstSegment) = try node.get("/hls/\(stream)/0.ts")
        #expect(firstStatus == 200 && !firstSegment.isEmpty)
        let pinnedBefore = try pinnedFiles(node)

        // Less free than a publish of this video needs: refused before ffmpeg runs.
        try disk.fill(leaving: 5 << 20)
        let started = Date()
        let answer = try node.publish(video, title: "Second", name: "second")
        let error = answer.error
        #expect(answer.status == 507, "\(answer)")
        #expect(error.hasPrefix("disk full: ") && error.contains(" needed, ") && error.contains(" free "), "\(error)")
        #expect(Date().timeIntervalSince(started) < 10, "a refused publish took \(Date().timeIntervalSince(started)) s")
        // The command line says the same.
        let (cliStatus, _, cliError) = try runProgram(nodectlBinary, ["publish", video, "--title", "Third", "--data-dir", node.dataDir])
        #expect(cliStatus != 0 && cliError.contains("disk full: "), "\(cliError)")

        // The disk fills completely while the daemon runs: it keeps serving what it has.
        try disk.fill(leaving: 0)
        #expect(disk.free == 0)
        for _ in 0..<3 {
            let (again, bytes) = try node.get("/hls/\(stream)/0.ts")
            #expect(again == 200 && bytes == firstSegment)
        }
        let fullAnswer = try node.publish(video, title: "Fourth", name: "fourth")
        #expect(fullAnswer.status == 507, "\(fullAnswer)")
        #expect(node.process?.isRunning == true, "the daemon died on a full disk: \(node.log)")

        // Stopped on the full disk, it refuses to start and says why.
        node.stop()
        let (code, _, refusal) = try runProgram(nodectlBinary, ["daemon", "--data-dir", node.dataDir], timeout: 30)
        #expect(code == 1, "exit status \(code): \(refusal)")
        #expect(refusal.contains("Error: disk full: 4.0 MiB (4194304 bytes) needed, "), "\(refusal)")
        #expect(!refusal.contains("Bus error") && !refusal.contains("crashed"), "\(refusal)")

        // With space again it starts, and the first stream is whole.
        disk.unfill()
        // What a daemon killed mid-publish leaves in DATA/tmp goes at the next start.
        let leftover = node.dataDir + "/tmp/publish-killed"
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: leftover + "/seg00000.ts", contents: Data(count: 1 << 20)))
        try node.restart()
        #expect(!FileManager.default.fileExists(atPath: leftover))
        try waitFor("the first stream listed again", timeout: 30) { node.knows(stream) }
        let (afterStatus, afterBytes) = try node.get("/hls/\(stream)/0.ts")
        #expect(afterStatus == 200 && afterBytes == firstSegment)
        #expect(try pinnedFiles(node) == pinnedBefore)
        let okAnswer = try node.publish(video, title: "Fifth", name: "fifth")
        #expect(okAnswer.status == 200, "\(okAnswer)")
        node.stop()
        creator = nil
    }

    @Test func aPublishThatFailsPartWayLeavesNothingPinned() throws {
        let scratch = try Scratch("disk-unpin")
        let video = try makeTestVideo(in: scratch)
        let size = (try FileManager.default.attributesOfItem(atPath: video)[.size] as? NSNumber)?.intValue ?? 0
        // A quota of half the video: the first segments are stored and
        // pinned, a later one does not fit.
        let node = try DaemonProcess(name: "creator", in: scratch, config: ["quotaBytes": size / 2])
        defer { node.stop() }
        let answer = try node.publish(video, title: "Too big", name: "big")
        #expect(answer.status != 200, "\(answer)")
        #expect(answer.error.contains("quota"), "\(answer)")
        #expect(try pinnedFiles(node).isEmpty, "a failed publish left pinned segments")
        #expect(node.log.contains("publish failed"), "\(node.log.suffix(2000))")
        #expect(!((try? node.client.streams()) ?? []).contains { $0.stream.hasSuffix("/big") })
    }

    @Test func liveSegmentsTheStoreRefusesAreCountedAndShown() throws {
        let scratch = try Scratch("disk-live")
        let disk = try SmallDisk(label: "live")
        defer { disk.remove() }
        // The encoder's output, made beforehand; it reaches the watched folder once the disk is full.
        let encoded = scratch.path + "/encoded", hls = scratch.path + "/hls"
        for dir in [encoded, hls] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=duration=6:size=320x240:rate=25",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
                    "-f", "hls", "-hls_time", "2", "-hls_list_size", "0", encoded + "/index.m3u8"])
        let nodes = try Scratch(in: disk.path, "nodes")
        let node = try DaemonProcess(name: "creator", in: nodes)
        defer { node.stop() }

        // The stream starts (and is announced) while there is room.
        let answer = try node.client.answer("POST", "/v1/live", json: APIServer.LiveRequest(hlsDir: hls, title: "Live", name: "live"),
                                            as: APIServer.LiveStarted.self)
        #expect(answer.status == 200, "\(answer)")
        let stream = try #require(answer.value?.stream)
        try disk.fill(leaving: 3 << 20)   // under the store's 4 MiB reserve
        // Then the encoder writes its segments, and its playlist last (still on the air: no end mark).
        for name in try FileManager.default.contentsOfDirectory(atPath: encoded) where name.hasSuffix(".ts") {
            try FileManager.default.copyItem(atPath: encoded + "/" + name, toPath: hls + "/" + name)
        }
        let playlist = try String(contentsOfFile: encoded + "/index.m3u8", encoding: .utf8)
        try playlist.replacingOccurrences(of: "#EXT-X-ENDLIST\n", with: "")
            .write(toFile: hls + "/index.m3u8", atomically: true, encoding: .utf8)
        func own() -> PeerNode.StreamSummary? { ((try? node.client.streams()) ?? []).first { $0.stream == stream } }
        try waitFor("the store error shown on the stream", timeout: 30) {
            (own()?.storeError ?? "").hasPrefix("disk full: ")
        }
        #expect(node.counter("peernode_segment_store_failures_total") >= 1)
        #expect(node.log.contains("a live segment could not be stored"), "\(node.log.suffix(2000))")
        let listed = try node.nodectl(["streams"])
        #expect(listed.contains("segments not stored: disk full: "), "\(listed)")

        // Space again: the same segments are stored and the error goes.
        disk.unfill()
        try waitFor("the live segments stored", timeout: 30) {
            own()?.storeError == nil && (own()?.liveSegment).map { $0 >= 2 } == true
        }
        #expect(node.process?.isRunning == true)
        let endAnswer = try node.client.answer("POST", "/v1/live/\(stream)/end", body: nil, as: APIServer.LiveEnded.self)
        #expect(endAnswer.status == 200, "\(endAnswer)")
    }

    @Test func theReserveIsAConfigField() throws {
        let scratch = try Scratch("disk-reserve")
        let dir = scratch.path + "/node"
        _ = try nodectl(["init", "--data-dir", dir])
        // A petabyte: more than any disk this runs on has free.
        try #"{"apiPort": 0, "minFreeBytes": 1000000000000000}"#.write(toFile: dir + "/config.json", atomically: true,
                                                                      encoding: .utf8)
        let (code, _, refusal) = try runProgram(nodectlBinary, ["daemon", "--data-dir", dir], timeout: 30)
        #expect(code == 1 && refusal.contains("Error: disk full: ") && refusal.contains("(1000000000000000 bytes) needed"),
                "\(code): \(refusal)")
    }

    /// The pinned files of a node, as `nodectl ls` lists them.
    func pinnedFiles(_ node: DaemonProcess) throws -> Set<String> {
        let files = try node.nodectl(["ls", "--json"], as: StoreListing.self).files
        return Set(files.filter(\.pinned).map(\.cid))
    }
}
