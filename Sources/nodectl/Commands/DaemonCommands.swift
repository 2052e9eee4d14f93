import ArgumentParser
import Benchmarks
import Foundation
import Identity
import Logging
import NetworkLab
import PayChannel
import PeerNode
import Solana

struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the node in the foreground: gossip, chunk exchange, HLS and the local HTTP API.",
        discussion: """
        Settings come from config.json in the data directory (written with the defaults on first start; \
        see docs/http-api.md); an unknown field or a bad value stops it with the field named. Gossip and \
        exchange ports chosen on the first start are kept in ports.json. Logs go to stderr. SIGINT or SIGTERM \
        shut it down gracefully.
        """)

    @OptionGroup var location: DataDirOption

    func run() async throws {
        let dir = location.dataDirectory
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "peernode")
        logger.info("nodectl \(PeerNodeVersion.description) starting", metadata: ["dataDir": "\(dir.path)"])
        do {
            try await PeerNodeDaemon.run(dataDirectory: dir.path, logger: logger)
        } catch let error as PeerNodeError {
            throw CLIError(error.description)
        }
    }
}

struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Cut a video into HLS segments (ffmpeg), store them, sign and announce the stream manifest.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The video file.") var video: String
    @Option(help: "The stream's title.") var title: String
    @Option(help: "The stream's name (the part after CREATOR/); default: from the title.") var name: String?
    @Option(help: "Price per second watched, in the smallest token unit.") var pricePerSecond: UInt64?
    @Option(help: "Renditions to encode, e.g. 1080p,720p,480p,360p (never above the source); default: the source's height and the usual rungs below it.")
    var ladder: String?

    func run() throws {
        let client = try NodeClient(dataDirectory: global.dataDirectory)
        let path = URL(fileURLWithPath: video).standardizedFileURL.path
        if let ladder { _ = try Ladder.parse(ladder) }   // a typo is told before any upload or encode
        let body = APIServer.PublishRequest(video: path, title: title, name: name, pricePerSecond: pricePerSecond,
                                            ladder: ladder)
        Output.note("publishing \(path): cutting CMAF HLS segments (encoding a ladder takes a while) and storing them...")
        let data = try client.call("POST", "/v1/publish", json: body)
        if global.json { printRaw(data); return }
        let published = try NodeClient.decode(data, "/v1/publish", as: PeerNode.Published.self)
        print("stream   \(published.stream)")
        print("manifest \(published.manifest)")
        print("segments \(published.segments) (\(String(format: "%.1f", published.duration)) s)")
        if let renditions = published.renditions { print("renditions \(renditions.joined(separator: ","))") }
    }
}

struct StreamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streams", abstract: "List live and VOD streams known from announcements.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let client = try NodeClient(dataDirectory: global.dataDirectory)
        let data = try client.call("GET", "/v1/streams")
        if global.json { printRaw(data); return }
        let list = try NodeClient.decode(data, "/v1/streams", as: [PeerNode.StreamSummary].self)
        if list.isEmpty { print("no streams known yet"); return }
        for s in list {
            let status = s.status.map { " " + $0 } ?? ""
            let live = s.liveSegment.map { " segment \($0)" } ?? ""
            print("\(s.stream)  \(s.kind)\(status)\(live)  \(s.pricePerSecond)/s  \(s.title)")
            if let problem = s.storeError { print("  segments not stored: \(problem)") }
        }
    }
}

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print the local HLS URL of a stream (ffplay, mpv, VLC and ffmpeg play it).",
        discussion: """
        The daemon fetches the manifest and the first segments from peers at once, and fetches ahead while a \
        player plays. A stream this node has not heard of yet is an error at once, unless --wait gives its \
        announcement time to arrive.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The stream: CREATOR/NAME as `nodectl streams` lists it, or its playlist URL (.../hls/CREATOR/NAME/index.m3u8).")
    var stream: String
    @Option(help: "Wait up to this many seconds for the stream's announcement to arrive (0 to 3600).") var wait: Double = 0
    @Flag(help: "For a live stream: keep printing the newest segment (and stalls) until it ends, then exit.") var follow = false

    func validate() throws {
        guard wait >= 0, wait <= 3600 else { throw ValidationError("--wait must be 0 to 3600 seconds; got \(wait)") }
    }

    func run() throws {
        let stream = try StreamArgument.parse(self.stream)
        let client = try NodeClient(dataDirectory: global.dataDirectory)
        let started = Date()
        var noted = 0.0
        var answer: Data?
        repeat {
            do { answer = try client.call("POST", "/v1/watch/\(stream)") } catch let error as NodeClient.Failure where error.status == 404 {
                let waited = Date().timeIntervalSince(started)
                guard waited < wait else {
                    throw CLIError("\(error.description)\n" + StreamArgument.hint(waited: wait))
                }
                if waited >= noted {
                    Output.note(noted == 0 ? "waiting for an announcement of \(stream)..." : "still waiting for \(stream) (\(Int(waited)) s)")
                    noted += 5
                }
                Thread.sleep(forTimeInterval: 0.25)
            }
        } while answer == nil
        guard let data = answer else { return }
        let watch = try NodeClient.decode(data, "/v1/watch/\(stream)", as: APIServer.Watch.self)
        if let warning = watch.warning { Output.note("warning: this node may not be able to pay for \(stream): \(warning)") }
        if global.json { printRaw(data) } else { print(watch.url) }
        guard follow else { return }
        var last = -1
        var lastStatus = ""
        for _ in 0..<1_000_000 {
            let list = (try? client.get("/v1/streams", as: [PeerNode.StreamSummary].self)) ?? []
            guard let s = list.first(where: { $0.stream == stream }) else { break }
            if let seg = s.liveSegment.map(Int.init), seg != last {
                last = seg
                Output.note("live: segment \(seg)")
            }
            let status = s.status ?? ""
            if status != lastStatus, status == "waiting" || status == "stalled" { Output.note("live: \(status)") }
            lastStatus = status
            if s.kind != "live" || status == "ended" {
                Output.note("ended")
                break
            }
            Thread.sleep(forTimeInterval: 1)
        }
    }
}

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Publish a live stream from a folder that ffmpeg or OBS writes HLS into.",
        discussion: """
        Each new segment the encoder lists in its playlist is stored and announced with a sequence number. \
        Segments are taken by content, not by name: an encoder restarted into the same folder continues the \
        stream after a discontinuity (or starts NAME-2 with --on-restart new). The stream ends when the playlist \
        gets #EXT-X-ENDLIST, with `nodectl live --end CREATOR/NAME`, or when no new segment came for \
        --stall-timeout seconds (it shows as stalled after three target durations).
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The stream's title.") var title: String?
    @Option(help: "The folder the encoder writes index.m3u8 and its segments into.") var hlsDir: String?
    @Option(help: "The stream's name (after CREATOR/).") var name: String?
    @Option(help: "Price per second watched.") var pricePerSecond: UInt64?
    @Option(help: "End the stream after this many seconds without a new segment (1 to 86400; default: config.json's liveStallTimeout).")
    var stallTimeout: Double?
    @Option(help: "When the encoder restarts into the folder: continue (the same stream) or new (end it, start NAME-2).")
    var onRestart: String?
    @Flag(inversion: .prefixedNo, help: "When the stream ends, sign a VOD of all its segments, NAME-recording (default: only a paid stream).")
    var record: Bool?
    @Option(help: "End this live stream (CREATOR/NAME) instead.") var end: String?

    func run() throws {
        let ending = try end.map(StreamArgument.parse)
        let client = try NodeClient(dataDirectory: global.dataDirectory)
        if let end = ending {
            let data = try client.call("POST", "/v1/live/\(end)/end")
            if global.json { printRaw(data) } else { print("ended \(end)") }
            return
        }
        guard let title, let hlsDir else { throw ValidationError("give --title and --hls-dir (or --end STREAM)") }
        let body = APIServer.LiveRequest(hlsDir: URL(fileURLWithPath: hlsDir).standardizedFileURL.path, title: title,
                                         name: name, pricePerSecond: pricePerSecond, stallTimeout: stallTimeout,
                                         onRestart: onRestart, record: record)
        let data = try client.call("POST", "/v1/live", json: body)
        if global.json { printRaw(data) } else {
            print(try NodeClient.decode(data, "/v1/live", as: APIServer.LiveStarted.self).stream)
        }
    }
}

struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers", abstract: "Peers of the running daemon: gossip links and chunk-exchange scores.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let client = try NodeClient(dataDirectory: global.dataDirectory)
        let data = try client.call("GET", "/v1/peers")
        if global.json { printRaw(data); return }
        let peers = try NodeClient.decode(data, "/v1/peers", as: APIServer.Peers.self)
        for p in peers.exchange {
            print("\(p.address)  \(p.endpoint)  score \(Output.number(p.score))\(p.banned ? "  banned" : "")")
        }
    }
}

struct TransferBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Chunk exchange throughput between two nodes on 127.0.0.1 against raw ZeroMQ, and time to first segment.")

    @Flag(name: .long, help: "Print results as JSON.") var json = false
    @Option(help: "File size in MiB.") var sizeMib = 256
    @Option(help: "Chunk requests in flight.") var parallel = 32
    @Option(help: "Rounds; each figure is the best round.") var rounds = 3
    @Flag(help: "Skip the time-to-first-segment measurement (it needs ffmpeg).") var noFirstSegment = false
    @Option(help: "Scratch directory (default: a temporary one).") var workDir: String?
    @Flag(help: "Also run paid rounds: every chunk priced and paid with vouchers on a real channel (starts localnet and deploys the program).")
    var paid = false
    @Option(help: "Price per chunk in the paid rounds, lamports.") var pricePerChunk: UInt64 = 1_000
    @Option(help: "The repository (localnet/, programs/out/) for --paid; default: found above this executable.") var repo: String?

    func run() async throws {
        guard sizeMib > 0, sizeMib <= 4096, parallel > 0, parallel <= 256, rounds > 0, rounds <= 20 else {
            throw ValidationError("--size-mib must be 1...4096, --parallel 1...256 and --rounds 1...20")
        }
        let dir = workDir ?? (NSTemporaryDirectory() + "nodectl-bench-transfer-\(getpid())")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if workDir == nil { try? FileManager.default.removeItem(atPath: dir) } }
        var setup: TransferBenchmark.PaidSetup?
        if paid {
            guard pricePerChunk > 0 else { throw ValidationError("--price-per-chunk must be above 0") }
            setup = try await paidSetup(work: dir)
        }
        let bench = TransferBenchmark(bytes: sizeMib << 20, parallel: parallel, rounds: rounds, workDirectory: dir,
                                      measureFirstSegment: !noFirstSegment, paid: setup)
        let r = try await bench.run(log: { Output.note($0) })
        if json { Output.json(r); return }
        print(String(format: "transfer          %d MiB in %.2f s: %.0f MB/s (%d KiB chunks, %d in flight, verified and stored; best of %d)",
                     r.bytes >> 20, r.transferSeconds, r.transferMBps, r.chunkBytes >> 10, r.parallel, r.rounds))
        print(String(format: "raw ZeroMQ CURVE  %.0f MB/s   (exchange at %.0f%% of it: same encryption as the exchange)", r.rawZeroMQCurveMBps, r.ratioToRawCurve * 100))
        print(String(format: "raw ZeroMQ plain  %.0f MB/s   (exchange at %.0f%% of it)", r.rawZeroMQPlainMBps, r.ratioToRawPlain * 100))
        if let t = r.timeToFirstSegmentMs { print(String(format: "first segment     %.0f ms (announced VOD, viewer's playlist request to segment bytes)", t)) }
        if let p = r.paidTransferMBps, let ratio = r.paidRatio {
            print(String(format: "paid transfer     %.0f MB/s   (%.0f%% of the unpaid transfer in the same run; %d lamports a chunk, %llu vouchers a round)",
                         p, ratio * 100, Int(pricePerChunk), r.vouchersPerRound ?? 0))
        }
    }

    /// A localnet of its own (stopped when this process ends) with the
    /// program deployed; buyers are funded by airdrop.
    func paidSetup(work: String) async throws -> TransferBenchmark.PaidSetup {
        let chain = try await Self.localChain(repo: repo, work: work)
        return TransferBenchmark.PaidSetup(chainRPC: chain.url, programId: chain.programId, pricePerChunk: pricePerChunk,
                                           fund: chain.fund)
    }

    /// localnet of its own (stopped when this process ends) with the program
    /// deployed and made final; `fund` airdrops 10 SOL to an address.
    static func localChain(repo: String?, work: String) async throws
        -> (url: String, programId: Address, fund: @Sendable (Address) async throws -> Void) {
        let repository = try RepositoryFiles.locate(given: repo)
        let programPath = repository + "/programs/out/paychannel.so"
        guard let elf = FileManager.default.contents(atPath: programPath) else {
            throw CLIError("cannot read \(programPath); build it with programs/build (./bootstrap does)")
        }
        Output.note("starting localnet and deploying the payment-channel program...")
        let chain = try LocalnetProcess.start(script: RepositoryFiles.localnetScript(repository), ledger: work + "/ledger",
                                              exitWith: getpid(), log: work + "/localnet-start.log")
        let rpc = chain.rpc
        let programId = try await chain.deploy(elf: Array(elf), deployerLamports: 10 * WellKnown.lamportsPerSol)
        return (chain.url, programId, { address in
            try await rpc.confirm(try await rpc.requestAirdrop(address, lamports: 10 * WellKnown.lamportsPerSol))
        })
    }
}
