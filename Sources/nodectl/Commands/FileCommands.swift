import ArgumentParser
import ContentStore
import Foundation

extension CID: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(argument) }
}

struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a file to the store and print its manifest CID.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The file to add.") var file: String
    @Option(help: "Media type recorded in the manifest.") var mediaType = "application/octet-stream"
    @Flag(help: "Do not pin the file (it may then be evicted or collected).") var noPin = false
    @Flag(help: "Print progress on stderr even when it is not a terminal.") var progress = false

    struct Result: Encodable { let cid: String; let size: UInt64; let chunks: [String] }

    func run() throws {
        let (store, lock) = try global.dataDirectory.openStoreToChange("add")
        defer { store.close(); withExtendedLifetime(lock) {} }
        let meter = ProgressMeter(label: "adding", force: progress)
        let added = try store.addFile(path: file, mediaType: mediaType, pin: !noPin, progress: meter.update)
        meter.finish()
        if global.json {
            Output.json(Result(cid: added.cid.description, size: added.manifest.size,
                               chunks: added.manifest.chunks.map(\.description)))
        } else {
            print(added.cid)
        }
    }
}

struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat", abstract: "Write a stored file's bytes to stdout or a file.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The file's manifest CID.") var cid: CID
    @Option(name: .shortAndLong, help: "Write to this file instead of stdout.") var output: String?

    func run() throws {
        let store = try global.dataDirectory.openStore()
        defer { store.close() }
        try FileSink.write(to: output) { sink in
            let meter = ProgressMeter(label: "reading", force: false)
            try store.readFile(cid, progress: output == nil ? nil : meter.update) { try sink($0) }
            meter.finish()
        }
    }
}

struct BlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block", abstract: "Write one raw chunk (or a manifest's bytes) to stdout or a file.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The chunk's CID.") var cid: CID
    @Option(name: .shortAndLong, help: "Write to this file instead of stdout.") var output: String?

    func run() throws {
        let store = try global.dataDirectory.openStore()
        defer { store.close() }
        try FileSink.write(to: output) { sink in
            if cid.codec == .dagJSON, let bytes = try store.manifestBytes(cid) {
                try bytes.withUnsafeBytes { try sink($0) }
                return
            }
            guard try store.withChunk(cid, { try sink($0) }) != nil else { throw ContentStoreError.notFound(cid) }
        }
    }
}

struct LsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List stored files and store totals.")

    @OptionGroup var global: GlobalOptions

    struct Entry: Encodable { let cid: String; let name: String; let size: UInt64; let chunks: Int; let pinned: Bool }
    struct Result: Encodable { let files: [Entry]; let chunks: Int; let bytes: UInt64; let pinnedRoots: Int }

    func run() throws {
        let store = try global.dataDirectory.openStore()
        defer { store.close() }
        let files = try store.listFiles().map {
            Entry(cid: $0.cid.description, name: $0.name, size: $0.size, chunks: $0.chunks, pinned: $0.pinned)
        }
        let stats = try store.stats()
        if global.json {
            Output.json(Result(files: files, chunks: stats.chunks, bytes: stats.bytes, pinnedRoots: stats.pinnedRoots))
            return
        }
        for f in files {
            print("\(f.cid)  \(f.pinned ? "pinned" : "cached")  \(f.size)  \(f.name)")
        }
        print("\(files.count) files, \(stats.chunks) chunks, \(stats.bytes) bytes")
    }
}

/// Where `cat` and `block` write: stdout, or a file replaced only once whole.
enum FileSink {
    static func write(to path: String?, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        guard let path else {
            try body { bytes in try writeAll(STDOUT_FILENO, bytes, path: "stdout") }
            return
        }
        let temp = path + ".partial"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CLIError("cannot create \(temp): \(String(cString: strerror(errno)))") }
        do {
            try body { bytes in try writeAll(fd, bytes, path: temp) }
            close(fd)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        guard rename(temp, path) == 0 else { throw CLIError("cannot move \(temp) to \(path): \(String(cString: strerror(errno)))") }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("writing \(path) failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}
