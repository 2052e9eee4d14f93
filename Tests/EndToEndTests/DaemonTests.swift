import Foundation
import NetworkLab
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized)
struct DaemonTests {
    @Test("The daemon refuses a locked data dir and a taken port, needs the token, and stops cleanly on SIGTERM")
    func lifecycle() throws {
        let scratch = try Scratch("daemon")
        let node = try DaemonProcess(name: "node", in: scratch)

        // A second daemon on the same data directory.
        let (status, _, err) = try runProgram(nodectlBinary, ["daemon", "--data-dir", node.dataDir], timeout: 60)
        #expect(status != 0)
        #expect(err.contains("in use by another daemon"), "\(err)")

        // Another data directory whose config asks for the port already in use.
        let other = scratch.path + "/other"
        _ = try nodectl(["init", "--data-dir", other])
        let port = try #require(Int(node.apiURL.split(separator: ":").last ?? ""))
        try Data(#"{"apiPort": \#(port)}"#.utf8).write(to: URL(fileURLWithPath: other + "/config.json"))
        let (status2, _, err2) = try runProgram(nodectlBinary, ["daemon", "--data-dir", other], timeout: 60)
        #expect(status2 != 0)
        #expect(err2.contains("is taken"), "\(err2)")

        // A bad config file.
        try Data(#"{"requestTimeout": -1}"#.utf8).write(to: URL(fileURLWithPath: other + "/config.json"))
        let (status3, _, err3) = try runProgram(nodectlBinary, ["daemon", "--data-dir", other], timeout: 60)
        #expect(status3 != 0)
        #expect(err3.contains("requestTimeout"), "\(err3)")

        // State-changing calls need the token; reads do not.
        let (unauthorized, _) = try node.postWithoutToken("/v1/live")
        #expect(unauthorized == 401)
        #expect(try node.get("/metrics").0 == 200)
        #expect(node.counter("peernode_api_errors_total") >= 1)
        let bad = try? node.nodectl(["watch", "NotAnAddress/x", "--wait", "0"])
        #expect(bad == nil)

        // Online commands without a daemon say how to start one.
        let (status4, _, err4) = try runProgram(nodectlBinary, ["streams", "--data-dir", other], timeout: 30)
        #expect(status4 != 0)
        #expect(err4.contains("nodectl daemon --data-dir"), "\(err4)")
        // Publishing a file that does not exist is a clear error from the daemon, not a crash.
        let (status5, _, err5) = try runProgram(nodectlBinary, ["publish", "/nonexistent.mp4", "--title", "x",
                                                                "--data-dir", node.dataDir], timeout: 60)
        #expect(status5 != 0)
        #expect(err5.contains("not found"), "\(err5)")
        let process = try #require(node.process)
        #expect(process.isRunning)

        // SIGTERM: a clean exit, api.json removed, and the lock released for the next daemon.
        process.send(SIGTERM)
        try waitFor("the daemon to exit", timeout: 30) { !process.isRunning }
        #expect(process.exitStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: node.dataDir + "/api.json"))
        #expect(node.log.contains("daemon stopped"))
    }
}
