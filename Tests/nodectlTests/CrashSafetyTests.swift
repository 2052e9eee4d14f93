import Foundation
import NetworkLab
import TestSupport
import Testing

/// A process killed with SIGKILL in the middle of adding a large file must
/// leave a store that opens, passes the scrub, and holds no manifest whose
/// chunks are missing. Killed for real, at several points.
@Suite struct CrashSafetyTests {
    let dir = NSTemporaryDirectory() + "nodectl-crash-\(UUID().uuidString)"

    @Test func sigkillDuringAddLeavesAConsistentStore() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = dir + "/big.bin"
        let size = 160 << 20
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { raw in
            for i in raw.bindMemory(to: UInt64.self).indices { raw.bindMemory(to: UInt64.self)[i] = generator.next() }
        }
        FileManager.default.createFile(atPath: source, contents: Data(bytes))

        var killedMidway = 0
        var dataDir = dir
        for delay in [40, 120, 250, 400, 600, 900] {
            dataDir = dir + "/node-\(delay)"
            let process = try ChildProcess.spawn("add", NodectlProcess.binary, ["add", source, "--data-dir", dataDir],
                                                 stdin: "/dev/null", stdout: "/dev/null", stderr: "/dev/null")
            usleep(useconds_t(delay * 1000))
            let wasRunning = process.isRunning
            process.send(SIGKILL)
            #expect(process.wait(timeout: 30) != nil, "nodectl add outlived its SIGKILL")

            // The store opens and passes the scrub after every kill.
            let verify = try NodectlProcess.run(["verify", "--json", "--data-dir", dataDir])
            #expect(verify.status == 0, "verify after a kill at \(delay) ms: \(verify.text) \(verify.stderr)")
            let listing = try NodectlProcess.run(["ls", "--json", "--data-dir", dataDir]).decode(as: StoreListing.self)
            let files = listing.files
            // Any manifest present is whole: it reads back byte for byte.
            for file in files {
                let cid = file.cid
                let out = dir + "/out.bin"
                let cat = try NodectlProcess.run(["cat", cid, "-o", out, "--data-dir", dataDir])
                #expect(cat.status == 0, "\(cat.stderr)")
                #expect(FileManager.default.contents(atPath: out) == Data(bytes))
            }
            if wasRunning && files.isEmpty && listing.chunks > 0 { killedMidway += 1 }
        }
        // At least one kill landed after some chunks were committed but before the manifest.
        #expect(killedMidway > 0, "no kill landed in the middle of an add")

        // A clean add afterwards completes and reads back.
        let done = try NodectlProcess.run(["add", source, "--json", "--data-dir", dataDir])
        #expect(done.status == 0)
        let cid = try #require(try done.json()["cid"] as? String)
        let out = dir + "/final.bin"
        #expect(try NodectlProcess.run(["cat", cid, "-o", out, "--data-dir", dataDir]).status == 0)
        #expect(FileManager.default.contents(atPath: out) == Data(bytes))
        #expect(try NodectlProcess.run(["verify", "--data-dir", dataDir]).status == 0)
    }
}
