import ArgumentParser
import Foundation
import Identity
import NetworkLab
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
/// synchronous) through NetworkLab's `runBlocking`. `notes`: say on stderr
/// that the chain is slow to answer (callers with progress lines of their
/// own turn it off).
@discardableResult
func blocking<T: Sendable>(notes: Bool = true, _ body: @escaping @Sendable () async throws -> T) throws -> T {
    try runBlocking(slow: notes ? { waited in
        Output.note(waited == 1 ? "waiting for the chain..." : "still waiting for the chain (\(waited) s)")
    } : nil, body)
}

func parseAddress(_ text: String, _ what: String) throws -> Address {
    do { return try Address(base58: text) } catch { throw ValidationError("\(what): \(error)") }
}

