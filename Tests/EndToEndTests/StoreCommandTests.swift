import Foundation
import NetworkLab
import PeerNode
import Testing
import TestSupport

/// Commands that change the store, beside a running daemon: `gc` goes
/// through the daemon, the others are refused with the reason; without a
/// daemon they work on the store directly.
@Suite struct StoreCommandTests {
    @Test func storeChangingCommandsBesideARunningDaemon() throws {
        let scratch = try Scratch("store-commands")
        let cached = scratch.path + "/cached.bin"
        FileManager.default.createFile(atPath: cached, contents: Data((0..<(600 << 10)).map { UInt8($0 % 251) }))
        let video = try makeTestVideo(in: scratch)
        let node = try DaemonProcess(name: "node", in: scratch) { dataDir in
            // Unpinned chunks from before the daemon started: what gc may take.
            _ = try nodectl(["add", cached, "--no-pin", "--data-dir", dataDir])
        }
        defer { node.stop() }
        let published = try node.client.answer("POST", "/v1/publish", json: APIServer.PublishRequest(video: video, title: "Kept", name: "kept"),
                                               as: PeerNode.Published.self)
        #expect(published.status == 200, "\(published)")
        let stream = try #require(published.value?.stream)
        let (_, segment) = try node.get("/hls/\(stream)/0.ts")

        // add, pin, unpin, verify --repair: refused while the daemon runs, saying why.
        for arguments in [["add", cached], ["pin", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"],
                          ["unpin", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"], ["verify", "--repair"]] {
            let (code, _, error) = try runProgram(nodectlBinary, arguments + ["--data-dir", node.dataDir])
            #expect(code != 0 && error.contains("changes the store") && error.contains("daemon.lock"),
                    "\(arguments): \(code) \(error)")
        }
        // gc goes through the daemon: the unpinned file goes, the stream stays.
        let gc = try node.nodectl(["gc", "--json"], as: APIServer.Collected.self)
        #expect(gc.chunks >= 3, "\(gc)")
        let (again, bytes) = try node.get("/hls/\(stream)/0.ts")
        #expect(again == 200 && bytes == segment)
        #expect(try node.nodectl(["verify"]).contains("ok"))

        // Without a daemon the commands work on the store itself.
        node.stop()
        let added = try node.nodectl(["add", cached, "--no-pin"])
        #expect(added.hasPrefix("bagu"))
        // Offline, nodectl prints the same fields as the daemon's answer.
        let offline = try node.nodectl(["gc", "--json"], as: APIServer.Collected.self)
        #expect(offline.chunks >= 3, "\(offline)")
        // And a daemon starts again afterwards (the commands let go of the lock).
        try node.restart()
        try waitFor("the stream listed again", timeout: 30) { node.knows(stream) }
    }
}
