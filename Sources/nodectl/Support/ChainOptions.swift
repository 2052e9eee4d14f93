import ArgumentParser
import Foundation
import Identity
import PayChannel
import Solana

/// Where the chain is and which program settles channels. Resolved from, in
/// order: the options, $PEERNODE_RPC_URL / $PEERNODE_PROGRAM_ID, the data
/// directory's chain.json (written by `nodectl chain deploy`), the defaults
/// of ChainConfig (the local network on 127.0.0.1:8899).
struct ChainOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Solana JSON-RPC URL.", valueName: "url"))
    var rpcURL: String?

    @Option(name: .long, help: ArgumentHelp("The payment-channel program id.", valueName: "address"))
    var programId: String?

    func config(_ dir: DataDirectory) throws -> ChainConfig {
        let env = ProcessInfo.processInfo.environment
        let saved = ChainFile.load(dir)
        var config = ChainConfig()
        if let url = rpcURL ?? env["PEERNODE_RPC_URL"] ?? saved?.rpcURL { config.rpcURL = url }
        if let id = programId ?? env["PEERNODE_PROGRAM_ID"] ?? saved?.programId {
            config.programId = try Address(base58: id)
        }
        return try config.validated()
    }

    func channelClient(_ dir: DataDirectory) throws -> ChannelClient {
        try ChannelClient(config: try config(dir))
    }
}

/// <data-dir>/chain.json: the RPC URL and program id the node settles with.
struct ChainFile: Codable {
    var rpcURL: String?
    var programId: String?

    static func path(_ dir: DataDirectory) -> String { dir.path + "/chain.json" }

    static func load(_ dir: DataDirectory) -> ChainFile? {
        guard let data = FileManager.default.contents(atPath: path(dir)) else { return nil }
        return try? JSONDecoder().decode(ChainFile.self, from: data)
    }

    func save(_ dir: DataDirectory) throws {
        try dir.create()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        guard FileManager.default.createFile(atPath: ChainFile.path(dir), contents: data) else {
            throw CLIError("cannot write \(ChainFile.path(dir))")
        }
    }
}

/// Runs async chain work from a synchronous command (the root command is
/// synchronous); the calling thread waits, the work runs on the task pool.
/// `notes`: say on stderr that the chain is slow to answer (callers with
/// progress lines of their own turn it off).
@discardableResult
func blocking<T: Sendable>(notes: Bool = true, _ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
        done.signal()
    }
    // Show that something is happening when the chain is slow to answer.
    var waited = 0
    while done.wait(timeout: .now() + .seconds(waited == 0 ? 1 : 10)) == .timedOut {
        waited += waited == 0 ? 1 : 10
        if notes { Output.note(waited == 1 ? "waiting for the chain..." : "still waiting for the chain (\(waited) s)") }
    }
    return try box.get()
}

/// Safe to share: written once by the task, read only after the semaphore
/// says the write happened; the lock makes that ordering explicit.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ r: Result<T, any Error>) { lock.lock(); result = r; lock.unlock() }
    func get() throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let result else { throw CLIError("internal: no result") }
        return try result.get()
    }
}

func parseAddress(_ text: String, _ what: String) throws -> Address {
    do { return try Address(base58: text) } catch { throw ValidationError("\(what): \(error)") }
}

func formatSol(_ lamports: UInt64) -> String {
    let whole = lamports / WellKnown.lamportsPerSol
    let frac = lamports % WellKnown.lamportsPerSol
    var f = String(frac)
    f = String(repeating: "0", count: 9 - f.count) + f
    while f.hasSuffix("0") && f.count > 1 { f.removeLast() }
    return "\(whole).\(f) SOL"
}
