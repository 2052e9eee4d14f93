import ArgumentParser
import Benchmarks
import ContentStore
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks, each against a baseline measured in the same run.",
        subcommands: [StoreBench.self, GossipBench.self, TransferBench.self, CrowdBench.self, KeysBench.self])
}

struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Store ingest and read throughput against SHA-256 alone and raw LMDB put/get of the same bytes.")

    @Flag(name: .long, help: "Print results as JSON.") var json = false
    @Option(help: "File size in MiB.") var sizeMib = 256
    @Option(help: "Rounds; each figure is the best round.") var rounds = 3
    @Option(help: "Scratch directory (default: a temporary one).") var workDir: String?
    @Flag(help: "Skip fsync on commit in both the store and the raw baseline.") var noSync = false

    func run() throws {
        guard sizeMib > 0, sizeMib <= 8192, rounds > 0, rounds <= 20 else {
            throw ValidationError("--size-mib must be 1...8192 and --rounds 1...20")
        }
        let dir = workDir ?? (NSTemporaryDirectory() + "nodectl-bench-\(getpid())")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if workDir == nil { try? FileManager.default.removeItem(atPath: dir) } }
        var config = StoreConfig()
        config.noSync = noSync
        let bench = StoreBenchmark(bytes: sizeMib << 20, rounds: rounds, workDirectory: dir, config: config)
        let r = try bench.run(log: { Output.note($0) })
        if json {
            struct Out: Encodable {
                let bytes: Int, rounds: Int, hashMBps: Double, rawPutMBps: Double, rawGetMBps: Double
                let ingestMBps: Double, readMBps: Double, ingestVsHash: Double, ingestVsRawPut: Double, readVsRawGet: Double
            }
            Output.json(Out(bytes: r.bytes, rounds: r.rounds, hashMBps: r.hashMBps, rawPutMBps: r.rawPutMBps,
                            rawGetMBps: r.rawGetMBps, ingestMBps: r.ingestMBps, readMBps: r.readMBps,
                            ingestVsHash: r.ingestVsHash, ingestVsRawPut: r.ingestVsRawPut, readVsRawGet: r.readVsRawGet))
            return
        }
        print("store benchmark: \(sizeMib) MiB, best of \(rounds), chunk \(config.chunkSize >> 10) KiB, \(noSync ? "no fsync" : "fsync per batch")")
        print(String(format: "  sha-256 alone     %8.0f MB/s   (baseline)", r.hashMBps))
        print(String(format: "  raw LMDB put      %8.0f MB/s   (baseline)", r.rawPutMBps))
        print(String(format: "  raw LMDB get      %8.0f MB/s   (baseline)", r.rawGetMBps))
        print(String(format: "  store ingest      %8.0f MB/s   %.2fx hash, %.2fx raw put", r.ingestMBps, r.ingestVsHash, r.ingestVsRawPut))
        print(String(format: "  store read        %8.0f MB/s   %.2fx raw get", r.readMBps, r.readVsRawGet))
    }
}
