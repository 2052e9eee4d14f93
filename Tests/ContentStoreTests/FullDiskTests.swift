import Foundation
import TestSupport
import Testing
@testable import ContentStore

/// The store on a real full disk (a 20 MiB tmpfs): clear `diskFull` errors,
/// never SIGBUS, and nothing already stored lost.
@Suite(.serialized) struct FullDiskTests {
    @Test func openingOnAFullDiskIsDiskFullNotACrash() throws {
        let disk = try SmallDisk(label: "open")
        defer { disk.remove() }
        try disk.fill(leaving: 0)
        // The reserve check the daemon makes before it starts says so...
        do {
            try ChunkStore.checkSpace(directory: disk.path)
            Issue.record("the reserve check passed on a full disk")
        } catch {
            #expect("\(error)".hasPrefix("disk full: 4.0 MiB"), "\(error)")
            guard case .diskFull = error else { Issue.record("not diskFull: \(error)"); return }
        }
        // ...and opening a new store anyway fails where LMDB's lock file
        // used to be SIGBUS: an error now, because it is preallocated.
        do {
            _ = try ChunkStore(directory: disk.path + "/store")
            Issue.record("a store opened on a full disk")
        } catch {
            guard case .diskFull(let full) = error else { Issue.record("not diskFull: \(error)"); return }
            #expect(full.free == 0)
        }
        // With space again the same directory opens and works.
        disk.unfill()
        let store = try ChunkStore(directory: disk.path + "/store")
        let cid = try store.putChunk(Array("after".utf8))
        #expect(try store.chunk(cid) == Array("after".utf8))
        store.close()
    }

    @Test func anAddThatDoesNotFitIsRefusedBeforeAnyWriteAndLosesNothing() throws {
        let disk = try SmallDisk(label: "add")
        defer { disk.remove() }
        let files = TempDir("fulldisk")
        let kept = randomBytes(2 << 20)
        let big = files.file("big.bin", bytes: randomBytes(3 << 20))
        let store = try ChunkStore(directory: disk.path + "/store")
        defer { store.close() }
        let first = try store.addFile(path: files.file("kept.bin", bytes: kept))
        #expect(first.newlyPinned)
        let before = try store.stats()

        try disk.fill(leaving: 6 << 20)   // 3 MiB + the 4 MiB reserve do not fit in 6
        do {
            _ = try store.addFile(path: big)
            Issue.record("a 3 MiB add fit in 6 MiB with a 4 MiB reserve")
        } catch {
            guard case .diskFull(let full) = error else { Issue.record("not diskFull: \(error)"); return }
            #expect(full.needed > 7 << 20 && full.free < full.needed && full.free > 5 << 20, "\(full)")
            #expect("\(error)".contains("needed") && "\(error)".contains("free"))
        }
        // Nothing written, nothing pinned, the old file whole.
        #expect(try store.stats() == before)
        #expect(try store.pinnedRoots() == [first.cid])
        #expect(try store.readFile(first.cid) == kept)
        #expect(try store.scrub().isClean)
        // A single chunk is refused the same way once the reserve is reached.
        try disk.fill(leaving: 1 << 20)
        #expect(throws: ContentStoreError.self) { try store.putChunk(randomBytes(64 << 10)) }

        disk.unfill()
        let added = try store.addFile(path: big)
        #expect(try store.pinnedRoots().count == 2)
        #expect(try store.readFile(added.cid).count == 3 << 20)
    }

    @Test func aDiskThatFillsDuringAnAddStopsItWithNothingPinned() throws {
        let disk = try SmallDisk(label: "during")
        defer { disk.remove() }
        let files = TempDir("during")
        let kept = randomBytes(1 << 20)
        let big = files.file("big.bin", bytes: randomBytes(3 << 20))
        var config = StoreConfig()
        config.ingestBatchBytes = 256 << 10   // one chunk per commit
        let store = try ChunkStore(directory: disk.path + "/store", config: config)
        defer { store.close() }
        let first = try store.addFile(path: files.file("kept.bin", bytes: kept))

        // Another program fills the disk once the add is under way: the
        // batches after that are refused before they commit.
        var filled = false
        do {
            _ = try store.addFile(path: big) { _, _ in
                if !filled { filled = (try? disk.fill(leaving: 0)) != nil }
            }
            Issue.record("an add finished on a disk that filled during it")
        } catch {
            guard case .diskFull = error else { Issue.record("not diskFull: \(error)"); return }
        }
        #expect(filled)
        #expect(try store.pinnedRoots() == [first.cid])
        #expect(try store.listFiles().map(\.cid) == [first.cid])
        #expect(try store.readFile(first.cid) == kept)
        #expect(try store.scrub().isClean)
        // What the add stored is unpinned cache, which gc takes. (On a disk
        // another program filled to the last byte even gc may find no page
        // for its commit: that is what the reserve is for.)
        disk.unfill()
        #expect(try store.collectGarbage().manifests == 0)
        #expect(try store.stats().chunks == first.manifest.chunks.count)
        let added = try store.addFile(path: big)
        #expect(try store.readFile(added.cid).count == 3 << 20)
    }
}
