import ArgumentParser
import ContentStore
import Foundation

struct PinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "Pin a file (or chunk) so it is never evicted or collected.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The CID to pin.") var cid: CID

    func run() throws {
        let store = try global.dataDirectory.openStore()
        defer { store.close() }
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
        let store = try global.dataDirectory.openStore()
        defer { store.close() }
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
        let store = try global.dataDirectory.openStore()
        defer { store.close() }
        let removed = try store.collectGarbage()
        if global.json {
            Output.json(Result(chunks: removed.chunks, bytes: removed.bytes, manifests: removed.manifests))
        } else {
            print("removed \(removed.chunks) chunks (\(removed.bytes) bytes) and \(removed.manifests) manifests")
        }
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
        let store = try global.dataDirectory.openStore()
        defer { store.close() }
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
