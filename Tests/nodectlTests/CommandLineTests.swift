import Foundation
import TestSupport
import Identity
import Testing

@Suite struct CommandLineTests {
    let dir = NSTemporaryDirectory() + "nodectl-cli-\(UUID().uuidString)"
    var dataDir: String { dir + "/node" }

    func nodectl(_ args: String...) throws -> NodectlProcess.Result {
        try NodectlProcess.run(args + ["--data-dir", dataDir])
    }

    func file(_ name: String, _ bytes: [UInt8]) -> String {
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test func initIdAndRefusalToOverwrite() throws {
        let created = try nodectl("init", "--json")
        #expect(created.status == 0)
        let address = try #require(try created.json()["address"] as? String)
        #expect(try Address(base58: address).bytes.count == 32)
        #expect(try nodectl("id").text == address)
        #expect(try nodectl("id", "--json").json()["address"] as? String == address)
        let again = try nodectl("init")
        #expect(again.status != 0)
        #expect(again.stderr.contains("already exists"))
        #expect(try nodectl("id").text == address)
    }

    @Test func importsSolanaAndBase58Keys() throws {
        let keys = KeyPair.generate()
        let json = file("solana.json", Array(KeyFile.encode(keys)))
        chmod(json, 0o600)
        #expect(try NodectlProcess.run(["init", "--import-keypair", json, "--data-dir", dir + "/a"]).text == keys.address.base58)
        let b58 = file("wallet.txt", Array((Base58.encode(keys.secretKeyBytes) + "\n").utf8))
        #expect(try NodectlProcess.run(["init", "--import-keypair", b58, "--data-dir", dir + "/b"]).text == keys.address.base58)
        let bad = file("bad.json", Array("[1,2,3".utf8))
        let failed = try NodectlProcess.run(["init", "--import-keypair", bad, "--data-dir", dir + "/c"])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains(bad))
        #expect(!FileManager.default.fileExists(atPath: dir + "/c/identity.json"))
    }

    @Test func addCatBlockLsPinGcVerify() throws {
        // The pattern repeats every 256 KiB: chunks 0 and 1 are the same bytes.
        let bytes = (0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        let source = file("video.bin", bytes)
        let added = try nodectl("add", source, "--json")
        #expect(added.status == 0, "\(added.stderr)")
        let json = try added.json()
        let cid = try #require(json["cid"] as? String)
        let chunks = try #require(json["chunks"] as? [String])
        #expect(json["size"] as? Int == 700_000)
        #expect(chunks.count == 3)
        #expect(chunks[0] == chunks[1])
        #expect(try nodectl("add", source).text == cid)

        #expect(try nodectl("cat", cid).stdout == Data(bytes))
        let out = dir + "/out.bin"
        #expect(try nodectl("cat", cid, "-o", out).status == 0)
        #expect(FileManager.default.contents(atPath: out) == Data(bytes))
        #expect(try nodectl("block", chunks[1]).stdout == Data(bytes[262144..<524288]))

        let files = try nodectl("ls", "--json").decode(as: StoreListing.self).files
        #expect(files.count == 1 && files[0].pinned && files[0].name == "video.bin")

        #expect(try nodectl("verify", "--json").json()["ok"] as? Bool == true)
        #expect(try nodectl("gc", "--json").json()["chunks"] as? Int == 0)
        #expect(try nodectl("unpin", cid).status == 0)
        #expect(try nodectl("gc", "--json").json()["chunks"] as? Int == 2)   // stored once
        let gone = try nodectl("cat", cid)
        #expect(gone.status != 0 && gone.stderr.contains("not in the store"))
    }

    @Test func badInputGetsClearErrors() throws {
        _ = try nodectl("init")
        let badCID = try nodectl("cat", "not-a-cid")
        #expect(badCID.status != 0 && badCID.stderr.lowercased().contains("cid"))
        let missing = try nodectl("add", dir + "/does-not-exist")
        #expect(missing.status != 0 && missing.stderr.contains("does-not-exist"))
        let unknown = try nodectl("block", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
        #expect(unknown.status != 0 && unknown.stderr.contains("not in the store"))
        let noIdentity = try NodectlProcess.run(["id", "--data-dir", dir + "/empty"])
        #expect(noIdentity.status != 0 && noIdentity.stderr.contains("nodectl init"))
        chmod(dataDir + "/identity.json", 0o644)
        let open = try nodectl("id")
        #expect(open.status != 0 && open.stderr.contains("chmod 600"))
    }

    @Test func versionAndHelpSayOnlyWhatApplies() throws {
        let version = try NodectlProcess.run(["--version"])
        #expect(version.status == 0)
        #expect(version.text.hasPrefix("0.") && version.text.contains("exchange frames v"), "\(version.text)")
        let help = try NodectlProcess.run(["daemon", "--help"])
        #expect(help.status == 0)
        #expect(help.text.contains("--data-dir") && !help.text.contains("--json"), "\(help.text)")
        #expect(try NodectlProcess.run(["streams", "--help"]).text.contains("--json"))
    }

    @Test func aDataDirectoryTheDaemonCannotWriteIsNamedAsSuch() throws {
        // sysfs refuses new files to every user, root included.
        let r = try NodectlProcess.run(["daemon", "--data-dir", "/sys"], timeout: 60)
        #expect(r.status != 0)
        #expect(r.stderr.contains("cannot use the data directory /sys: cannot create /sys/daemon.lock"), "\(r.stderr)")
        #expect(r.stderr.contains("writable") && !r.stderr.contains("cannot listen"), "\(r.stderr)")
    }

    @Test func watchRefusesAMalformedStreamBeforeAskingTheDaemon() throws {
        _ = try nodectl("init")
        for arguments in [["watch", "nope"], ["live", "--end", "nope"], ["chat", "a/b/c"]] {
            let r = try NodectlProcess.run(arguments + ["--data-dir", dataDir])
            #expect(r.status != 0)
            #expect(r.stderr.contains("is not a") && r.stderr.contains("nodectl streams"), "\(arguments): \(r.stderr)")
            #expect(!r.stderr.contains("no daemon is running"), "checked before looking for the daemon: \(r.stderr)")
        }
    }
}
