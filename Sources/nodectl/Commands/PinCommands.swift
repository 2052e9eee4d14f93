import ArgumentParser
import ContentStore
import Foundation
import NetworkLab
import PeerNode

struct PinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "Pin a file (or chunk) so it is never evicted or collected.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The CID to pin.") var cid: CID

    func run() throws {
        let (store, lock) = try global.dataDirectory.openStoreToChange("pin")
        defer { store.close(); withExtendedLifetime(lock) {} }
        try store.pin(cid)
        if global.json { Output.json(["pinned": cid.description]) } else { print("pinned \(cid)") }
    }
}

struct UnpinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpin", abstract: "Unpin a file (or chunk); its chunks become evictable.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The CID to unpin.") var cid: CID

    func run() throws {
        let (store, lock) = try global.dataDirectory.openStoreToChange("unpin")
        defer { store.close(); withExtendedLifetime(lock) {} }
        try store.unpin(cid)
        if global.json { Output.json(["unpinned": cid.description]) } else { print("unpinned \(cid)") }
    }
}

struct GcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Remove every unpinned chunk and manifest.")

    @OptionGroup var global: GlobalOptions

    struct Result: Encodable { let chunks: Int; let bytes: UInt64; let manifests: Int }

    func run() throws {
        let removed = try collect()
        if global.json {
            Output.json(removed)
        } else {
            print("removed \(removed.chunks) chunks (\(removed.bytes) bytes) and \(removed.manifests) manifests")
        }
    }

    /// Under the daemon's lock when none runs; else by the daemon itself, so
    /// what it is adding or serving is never removed under it.
    func collect() throws -> Result {
        let lock: DataLock
        do { lock = try global.dataDirectory.lockToChange("gc") } catch let running as DaemonRunning {
            // Held by another command, not a daemon: say who holds the lock.
            guard let client = try? NodeClient(dataDirectory: global.dataDirectory) else { throw running }
            let removed = try client.post("/v1/gc", as: APIServer.Collected.self)
            return Result(chunks: removed.chunks, bytes: UInt64(max(0, removed.bytes)), manifests: removed.manifests)
        }
        let store = try global.dataDirectory.openStore()
        defer { store.close(); withExtendedLifetime(lock) {} }
        let removed = try store.collectGarbage()
        return Result(chunks: removed.chunks, bytes: removed.bytes, manifests: removed.manifests)
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash every chunk and check every pinned file is whole; exit status 1 when anything is bad.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Remove corrupt chunks so they can be fetched again.") var repair = false

    struct Result: Encodable {
        let chunks: Int; let bytes: UInt64; let corrupt: [String]; let inconsistent: [String]; let incomplete: [String]; let ok: Bool
    }

    func run() throws {
        let lock = repair ? try global.dataDirectory.lockToChange("verify --repair") : nil
        let store = try global.dataDirectory.openStore()
        defer { store.close(); withExtendedLifetime(lock) {} }
        let meter = ProgressMeter(label: "verifying")
        let report = try store.scrub(progress: meter.update)
        meter.finish()
        if repair, !report.corrupt.isEmpty { try store.removeCorrupt(report.corrupt) }
        if global.json {
            Output.json(Result(chunks: report.chunksChecked, bytes: report.bytesChecked,
                               corrupt: report.corrupt.map(\.description), inconsistent: report.inconsistent.map(\.description),
                               incomplete: report.incompleteRoots.map(\.description), ok: report.isClean))
        } else {
            print("checked \(report.chunksChecked) chunks (\(report.bytesChecked) bytes)")
            for cid in report.corrupt { print("corrupt: \(cid)\(repair ? " (removed)" : "")") }
            for cid in report.inconsistent { print("inconsistent: \(cid)") }
            for cid in report.incompleteRoots { print("incomplete pinned root: \(cid)") }
            print(report.isClean ? "ok" : "PROBLEMS FOUND")
        }
        if !report.isClean { throw ExitCode(1) }
    }
}
