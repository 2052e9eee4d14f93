import Foundation
import TestSupport
import Testing
@testable import ContentStore

@Suite struct ChunkStoreTests {
    let dir = TempDir()

    func store(_ configure: (inout StoreConfig) -> Void = { _ in }) throws -> ChunkStore {
        var config = StoreConfig()
        config.chunkSize = 1024
        config.mapSize = 1 << 30
        configure(&config)
        return try ChunkStore(directory: dir.path + "/s", config: config)
    }

    @Test(arguments: [0, 1, 1023, 1024, 1025, 3584, 10_000])
    func addThenReadBackByteForByte(size: Int) throws {
        let store = try store()
        let bytes = randomBytes(size)
        let path = dir.file("f\(size)", bytes: bytes)
        let added = try store.addFile(path: path, mediaType: "video/mp2t")
        #expect(added.manifest.size == UInt64(size))
        #expect(added.manifest.chunks.count == (size + 1023) / 1024)
        #expect(added.manifest.name == "f\(size)")
        // Each chunk is named by the CIDv1 raw of its slice.
        for (i, cid) in added.manifest.chunks.enumerated() {
            #expect(cid == CID.hashing(Array(bytes[(i * 1024)..<min(size, (i + 1) * 1024)])))
        }
        #expect(try store.readFile(added.cid) == bytes)
        #expect(added.cid == added.manifest.cid)
        #expect(try store.manifest(added.cid) == added.manifest)
        #expect(store.isPinned(added.cid))
        // Adding the same bytes again gives the same CID and stores nothing new.
        let before = try store.stats()
        #expect(try store.addBytes(bytes, name: "f\(size)", mediaType: "video/mp2t").cid == added.cid)
        #expect(try store.stats() == before)
    }

    @Test func openingAFileInsteadOfADirectoryFailsClearly() throws {
        let file = dir.file("not-a-dir", bytes: [1, 2, 3])
        #expect(throws: ContentStoreError.self) { try ChunkStore(directory: file) }
    }

    @Test func putChunkChecksExpectedCIDAndSize() throws {
        let store = try store()
        let bytes = randomBytes(500)
        let cid = try store.putChunk(bytes, expected: CID.hashing(bytes))
        #expect(try store.chunk(cid) == bytes)
        let other = CID.hashing([1, 2, 3])
        #expect(throws: ContentStoreError.self) { try store.putChunk(bytes, expected: other) }
        #expect(!store.hasChunk(other))
        #expect(throws: ContentStoreError.self) { try store.putChunk([UInt8](repeating: 0, count: StoreConfig.maxChunkSize + 1)) }
        #expect(try store.stats().chunks == 1)
        #expect(try store.chunk(other) == nil)
    }

    @Test func pinUnpinAndGarbageCollection() throws {
        let store = try store()
        // Two files sharing their first chunk.
        let shared = randomBytes(1024)
        let a = try store.addBytes(shared + randomBytes(100), name: "a")
        let b = try store.addBytes(shared + randomBytes(200), name: "b")
        let loose = try store.putChunk(randomBytes(10))
        #expect(try store.stats().chunks == 4)

        try store.unpin(a.cid)
        #expect(throws: ContentStoreError.self) { try store.unpin(a.cid) }
        let removed = try store.collectGarbage()
        #expect(removed.chunks == 2 && removed.manifests == 1)   // a's own chunk and the loose one
        #expect(!store.hasChunk(loose))
        #expect(throws: ContentStoreError.self) { try store.readFile(a.cid) }
        #expect(try store.readFile(b.cid).count == 1224)          // the shared chunk survived
        #expect(try store.scrub().isClean)

        try store.pin(b.cid)                                       // idempotent
        try store.unpin(b.cid)
        #expect(try store.collectGarbage().chunks == 2)
        #expect(try store.stats() == ChunkStore.Stats(chunks: 0, bytes: 0, manifests: 0, pinnedRoots: 0, quota: nil))
        #expect(throws: ContentStoreError.self) { try store.pin(b.cid) }
    }

    @Test func quotaEvictsLeastRecentlyUsedUnpinnedChunks() throws {
        let store = try store { $0.quotaBytes = 4 * 1000 }
        let chunks = (0..<5).map { _ in randomBytes(1000) }
        let cids = try chunks.prefix(3).map { try store.putChunk($0) }
        _ = try store.chunk(cids[0])                      // A is now the most recently used
        try store.putChunk(chunks[3])                      // 4 chunks: at the quota
        #expect(try store.stats().chunks == 4)
        let e = try store.putChunk(chunks[4])              // over: B (oldest untouched) goes
        #expect(!store.hasChunk(cids[1]))
        #expect(store.hasChunk(cids[0]) && store.hasChunk(cids[2]) && store.hasChunk(e))
        #expect(try store.stats().bytes == 4000)
    }

    @Test func pinnedContentIsNeverEvictedAndOverQuotaFailsClearly() throws {
        let store = try store { $0.quotaBytes = 3 * 1024 }
        let kept = try store.addBytes(randomBytes(2048), name: "kept")
        do {
            _ = try store.addBytes(randomBytes(4096), name: "too big")
            Issue.record("an add over the quota succeeded")
        } catch {
            #expect("\(error)".contains("quota"))
        }
        #expect(try store.readFile(kept.cid).count == 2048)
        #expect(try store.scrub().isClean)
        #expect(try store.stats().bytes <= 3 * 1024)
    }

    @Test func scrubFindsCorruptChunksAndRepairRemovesThem() throws {
        let store = try store()
        let original = randomBytes(3000)
        let added = try store.addBytes(original, name: "f")
        let victim = added.manifest.chunks[1]
        // Flip bytes inside LMDB, as a bad disk would.
        try store.env.write { txn in
            var bytes = try #require(try txn.get(store.chunks, key: victim.bytes))
            bytes[7] ^= 0xFF
            try txn.put(store.chunks, key: victim.bytes, value: bytes)
        }
        let report = try store.scrub()
        #expect(report.corrupt == [victim])
        #expect(report.chunksChecked == 3)
        try store.removeCorrupt(report.corrupt)
        let after = try store.scrub()
        #expect(after.corrupt.isEmpty)
        #expect(after.incompleteRoots == [added.cid])
        #expect(throws: ContentStoreError.self) { try store.readFile(added.cid) }
        // Putting the right bytes back makes it whole again.
        try store.putChunk(Array(original[1024..<2048]), expected: victim)
        #expect(try store.readFile(added.cid) == original)
        #expect(try store.scrub().isClean)
    }

    @Test func reopeningKeepsEverythingAndKnowsAboutCleanShutdown() throws {
        let bytes = randomBytes(5000)
        var cid: CID
        do {
            let store = try store()
            cid = try store.addBytes(bytes, name: "x").cid
            #expect(!store.recoveredFromCrash)
            store.close()
        }
        let again = try store()
        #expect(!again.recoveredFromCrash)
        #expect(try again.readFile(cid) == bytes)
    }

    @Test func manifestDecoderRejectsBadInput() throws {
        let good = FileManifest(name: "n", mediaType: "t", size: 10, chunkSize: 1024, chunks: [CID.hashing([1])])
        let bytes = good.encoded()
        #expect(try FileManifest.decode(bytes) == good)
        #expect(throws: ContentStoreError.self) { try FileManifest.decode(Array(bytes.prefix(bytes.count / 2))) }
        #expect(throws: ContentStoreError.self) { try FileManifest.decode([UInt8](repeating: 32, count: FileManifest.maxEncodedSize + 1)) }
        var wrongCount = good
        wrongCount.size = 5000
        #expect(throws: ContentStoreError.self) { try FileManifest.decode(wrongCount.encoded()) }
        var zeroChunk = good
        zeroChunk.chunkSize = 0
        #expect(throws: ContentStoreError.self) { try FileManifest.decode(zeroChunk.encoded()) }
        // A stored manifest must hash to the CID it is stored under.
        let store = try store()
        #expect(throws: ContentStoreError.self) {
            try store.putManifestBytes(bytes, expected: CID.hashing([9], codec: .dagJSON))
        }
        // Canonical form: sorted keys, links as {"/": cid}.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("{\"chunkSize\":1024,\"chunks\":[{\"/\":\"bafkrei"))
    }

    @Test func readersRunBesideAWriter() async throws {
        let store = try store()
        let files = try (0..<4).map { try store.addBytes(randomBytes(8000), name: "f\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for file in files {
                group.addTask {
                    for _ in 0..<50 {
                        let count = try store.readFile(file.cid).count
                        #expect(count == 8000)
                    }
                }
            }
            group.addTask {
                for i in 0..<50 { _ = try store.addBytes(randomBytes(3000), name: "w\(i)", pin: false) }
            }
            try await group.waitForAll()
        }
        #expect(try store.scrub().isClean)
    }
}
