#if canImport(Glibc)
import ContentStore
import Glibc
#endif
import Foundation
import LMDB

/// `nodectl bench store`: ingest and read throughput of the store, each next
/// to baselines measured in the same process on the same bytes: the SHA-256
/// alone, and raw LMDB put/get with the same batch size and sync settings.
public struct StoreBenchmark: Sendable {
    public struct Result: Sendable, Codable {
        public var bytes: Int
        public var rounds: Int
        public var hashMBps: Double
        public var rawPutMBps: Double
        public var rawGetMBps: Double
        public var ingestMBps: Double
        public var readMBps: Double
        public var ingestVsHash: Double { ingestMBps / hashMBps }
        public var ingestVsRawPut: Double { ingestMBps / rawPutMBps }
        public var readVsRawGet: Double { readMBps / rawGetMBps }
    }

    public var bytes: Int
    public var rounds: Int
    public var workDirectory: String
    public var config: StoreConfig

    public init(bytes: Int = 256 << 20, rounds: Int = 3, workDirectory: String, config: StoreConfig = StoreConfig()) {
        self.bytes = bytes
        self.rounds = rounds
        self.workDirectory = workDirectory
        self.config = config
    }

    /// Runs every measurement `rounds` times and keeps each one's best.
    public func run(log: (String) -> Void) throws -> Result {
        let file = workDirectory + "/bench-input.bin"
        log("writing \(bytes >> 20) MiB of random bytes to \(file)")
        let data = try Self.randomFile(path: file, bytes: bytes)
        defer { unlink(file) }
        let chunkSize = config.chunkSize
        let chunkRanges = stride(from: 0, to: data.count, by: chunkSize).map { $0..<Swift.min($0 + chunkSize, data.count) }
        let sink = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { sink.deallocate() }

        var best = [String: Double]()
        func record(_ name: String, _ seconds: Double) {
            let mbps = Double(bytes) / seconds / 1e6
            best[name] = Swift.max(best[name] ?? 0, mbps)
        }

        for round in 1...rounds {
            log("round \(round)/\(rounds)")
            // Baseline 1: the hash alone, over the bytes in memory.
            var keys: [[UInt8]] = []
            record("hash", try Self.time {
                keys = data.withUnsafeBytes { all in
                    chunkRanges.map { CID.hashing(buffer: UnsafeRawBufferPointer(rebasing: all[$0])).bytes }
                }
            })

            // Baseline 2: raw LMDB puts of the same bytes under the same keys.
            let rawDir = workDirectory + "/raw-\(round)"
            try FileManager.default.createDirectory(atPath: rawDir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: rawDir) }
            var options = LMDBEnvironment.Options()
            options.noSync = config.noSync
            options.mapSize = Swift.max(4 * bytes, 1 << 30)
            let raw = try LMDBEnvironment(directory: rawDir, options: options)
            let db = try raw.database("chunks")
            record("rawPut", try Self.time {
                var index = 0
                while index < chunkRanges.count {
                    try raw.write { txn in
                        var batch = 0
                        while index < chunkRanges.count, batch < config.ingestBatchBytes {
                            let range = chunkRanges[index]
                            try data.withUnsafeBytes { all in
                                try txn.put(db, key: keys[index], value: UnsafeRawBufferPointer(rebasing: all[range]))
                            }
                            batch += range.count
                            index += 1
                        }
                    }
                }
            })
            // Baseline 3: raw LMDB gets, each value copied once, as a reader would.
            record("rawGet", try Self.time {
                try raw.read { txn in
                    for key in keys {
                        _ = try txn.withValue(db, key: key) { sink.copyMemory(from: $0) }
                    }
                }
            })

            // The store: add the file, then read it back.
            let storeDir = workDirectory + "/store-\(round)"
            defer { try? FileManager.default.removeItem(atPath: storeDir) }
            var storeConfig = config
            storeConfig.mapSize = Swift.max(4 * bytes, 1 << 30)
            let store = try ChunkStore(directory: storeDir, config: storeConfig)
            var cid: CID?
            record("ingest", try Self.time { cid = try store.addFile(path: file).cid })
            guard let cid else { break }
            var readBack = 0
            record("read", try Self.time {
                try store.readFile(cid) { chunk in
                    UnsafeMutableRawBufferPointer(rebasing: sink[0..<chunk.count]).copyMemory(from: chunk)
                    readBack += chunk.count
                }
            })
            guard readBack == bytes else {
                throw ContentStoreError.io(path: storeDir, problem: "read back \(readBack) of \(bytes) bytes")
            }
            store.close()
        }
        return Result(bytes: bytes, rounds: rounds, hashMBps: best["hash"] ?? 0, rawPutMBps: best["rawPut"] ?? 0,
                      rawGetMBps: best["rawGet"] ?? 0, ingestMBps: best["ingest"] ?? 0, readMBps: best["read"] ?? 0)
    }

    static func time(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Random (incompressible, unique-chunk) bytes, also written to `path`.
    static func randomFile(path: String, bytes: Int) throws -> [UInt8] {
        var data = [UInt8](repeating: 0, count: bytes)
        var generator = SystemRandomNumberGenerator()
        data.withUnsafeMutableBytes { buffer in
            let words = buffer.bindMemory(to: UInt64.self)
            for i in words.indices { words[i] = generator.next() }
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(data)) else {
            throw ContentStoreError.io(path: path, problem: "cannot write the benchmark input")
        }
        return data
    }
}
