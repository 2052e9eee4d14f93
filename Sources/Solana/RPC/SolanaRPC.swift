import CurlHTTP
import Foundation
import Identity

/// An account as getAccountInfo returns it.
public struct AccountInfo: Sendable, Equatable {
    public var lamports: UInt64
    public var owner: Address
    public var data: [UInt8]
    public var executable: Bool
}

/// A signature's status as getSignatureStatuses returns it.
public struct SignatureStatus: Sendable, Equatable {
    public var slot: UInt64
    public var failure: TransactionFailure?
    public var confirmationStatus: String?
}

/// A simulateTransaction result.
public struct Simulation: Sendable, Equatable {
    public var failure: TransactionFailure?
    public var logs: [String]
    public var unitsConsumed: UInt64?

    /// Compute units one program used, from its "consumed N of M" log line.
    public func unitsConsumed(by program: Address) -> UInt64? {
        let prefix = "Program \(program.base58) consumed "
        for line in logs where line.hasPrefix(prefix) {
            let rest = line.dropFirst(prefix.count)
            if let n = UInt64(rest.prefix(while: { $0.isNumber })) { return n }
        }
        return nil
    }
}

/// Standard Solana JSON-RPC over HTTP: works against any cluster's URL.
public struct SolanaRPC: Sendable {
    public let config: ChainConfig
    let http: any HTTPClient

    /// Largest RPC answer accepted (a getAccountInfo of a 10 MiB account in base64 fits).
    public static let maxResponseBytes = 16 << 20

    public init(config: ChainConfig, http: any HTTPClient = CurlClient()) throws(ChainError) {
        self.config = try config.validated()
        self.http = http
    }

    // MARK: the call, with retries

    /// Calls `method`; retries network failures and HTTP 429/5xx with
    /// exponential back-off, never a JSON-RPC error (that is an answer).
    public func call(_ method: String, _ params: [JSON] = []) async throws(ChainError) -> JSON {
        let request = JSON.object([("jsonrpc", .string("2.0")), ("id", .int(1)),
                                   ("method", .string(method)), ("params", .array(params))])
        let body = Array(request.description.utf8)
        var delay = config.retryDelay
        var attempt = 0
        while true {
            do throws(ChainError) {
                let reply = try await post(body)
                if reply.status == 429 || reply.status >= 500 {
                    throw ChainError.http(url: config.rpcURL, status: reply.status,
                                          body: String(decoding: reply.body.prefix(500), as: UTF8.self))
                }
                guard reply.status == 200 else {
                    throw ChainError.http(url: config.rpcURL, status: reply.status,
                                          body: String(decoding: reply.body.prefix(500), as: UTF8.self))
                }
                return try Self.result(of: reply.body, method: method)
            } catch {
                let retryable: Bool
                switch error {
                case .unreachable: retryable = true
                case .http(_, let status, _): retryable = status == 429 || status >= 500
                default: retryable = false
                }
                guard retryable, attempt < config.retries else { throw error }
                attempt += 1
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                delay *= 2
            }
        }
    }

    /// One POST of a JSON body, off the cooperative pool (`BlockingWork.shared`).
    func post(_ body: [UInt8]) async throws(ChainError) -> HTTPResponse {
        let request = HTTPRequest(method: "POST", url: config.rpcURL, headers: [("Content-Type", "application/json")],
                                  body: body, timeout: config.requestTimeout, maxResponseBytes: Self.maxResponseBytes)
        do {
            return try await http.send(request)
        } catch {
            throw ChainError(error, url: config.rpcURL, timeout: config.requestTimeout)
        }
    }

    static func result(of body: [UInt8], method: String) throws(ChainError) -> JSON {
        let json: JSON
        do { json = try JSON.parse(body) } catch { throw .badResponse(method: method, reason: error.description) }
        if let error = json["error"], !error.isNull {
            let code = Int(error["code"]?.int64 ?? 0)
            let message = error["message"]?.string ?? error.description
            let data = error["data"]
            let failure = data?["err"].flatMap { $0.isNull ? nil : TransactionFailure(json: $0) }
            let logs = data?["logs"]?.array?.compactMap(\.string) ?? []
            throw .rpc(code: code, message: message, failure: failure, logs: logs)
        }
        guard let result = json["result"] else { throw .badResponse(method: method, reason: "no result") }
        return result
    }

    // MARK: methods

    public func health() async throws(ChainError) -> Bool {
        try await call("getHealth").string == "ok"
    }

    public func slot() async throws(ChainError) -> UInt64 {
        let r = try await call("getSlot", [commitmentConfig()])
        guard let v = r.uint64 else { throw .badResponse(method: "getSlot", reason: r.description) }
        return v
    }

    public func latestBlockhash() async throws(ChainError) -> [UInt8] {
        try await latestBlockhashAndHeight().blockhash
    }

    /// The latest blockhash and the last block height at which a transaction
    /// using it can still land.
    public func latestBlockhashAndHeight() async throws(ChainError) -> (blockhash: [UInt8], lastValidBlockHeight: UInt64) {
        let r = try await call("getLatestBlockhash", [commitmentConfig()])
        guard let text = r["value"]?["blockhash"]?.string, let bytes = Base58.decode(text), bytes.count == 32,
              let last = r["value"]?["lastValidBlockHeight"]?.uint64 else {
            throw .badResponse(method: "getLatestBlockhash", reason: r.description)
        }
        return (bytes, last)
    }

    public func blockHeight() async throws(ChainError) -> UInt64 {
        let r = try await call("getBlockHeight", [commitmentConfig()])
        guard let v = r.uint64 else { throw .badResponse(method: "getBlockHeight", reason: r.description) }
        return v
    }

    public func balance(_ address: Address) async throws(ChainError) -> UInt64 {
        let r = try await call("getBalance", [.string(address.base58), commitmentConfig()])
        guard let v = r["value"]?.uint64 else { throw .badResponse(method: "getBalance", reason: r.description) }
        return v
    }

    public func accountInfo(_ address: Address) async throws(ChainError) -> AccountInfo? {
        let r = try await call("getAccountInfo", [.string(address.base58),
                                                  .object([("encoding", .string("base64")),
                                                           ("commitment", .string(config.commitment))])])
        guard let value = r["value"] else { throw .badResponse(method: "getAccountInfo", reason: r.description) }
        if value.isNull { return nil }
        guard let info = Self.accountInfo(from: value) else {
            throw .badResponse(method: "getAccountInfo", reason: String(value.description.prefix(300)))
        }
        return info
    }

    /// Several accounts read at once (at most 100), nil where none lives.
    public func multipleAccounts(_ addresses: [Address]) async throws(ChainError) -> [AccountInfo?] {
        let r = try await call("getMultipleAccounts", [.array(addresses.map { .string($0.base58) }),
                                                       .object([("encoding", .string("base64")),
                                                                ("commitment", .string(config.commitment))])])
        guard let values = r["value"]?.array, values.count == addresses.count else {
            throw .badResponse(method: "getMultipleAccounts", reason: String(r.description.prefix(300)))
        }
        var out: [AccountInfo?] = []
        for value in values {
            if value.isNull { out.append(nil); continue }
            guard let info = Self.accountInfo(from: value) else {
                throw .badResponse(method: "getMultipleAccounts", reason: String(value.description.prefix(300)))
            }
            out.append(info)
        }
        return out
    }

    /// The cluster's clock in unix seconds: the Clock sysvar, the same `now`
    /// the programs see (any cluster; on localnet it follows wall time plus
    /// whatever `localnet_advanceClock` added, as of the last transaction).
    public func clock() async throws(ChainError) -> Int64 {
        try Self.unixTimestamp(fromClock: try await accountInfo(WellKnown.clockSysvar))
    }

    /// The Clock sysvar's 40 bytes: slot, epoch start timestamp, epoch,
    /// leader schedule epoch, unix timestamp (i64 LE at offset 32).
    public static func unixTimestamp(fromClock info: AccountInfo?) throws(ChainError) -> Int64 {
        guard let data = info?.data, data.count >= 40 else {
            throw .badResponse(method: "getAccountInfo", reason: "the Clock sysvar is missing or shorter than 40 bytes")
        }
        var r = ByteReader(Array(data[32..<40]))
        do { return try r.i64() } catch { throw .encoding(error) }
    }

    /// A getProgramAccounts filter.
    public enum AccountFilter: Sendable, Equatable {
        case dataSize(Int)
        case memcmp(offset: Int, bytes: [UInt8])

        var json: JSON {
            switch self {
            case .dataSize(let n): return .object([("dataSize", .int(Int64(n)))])
            case .memcmp(let offset, let bytes):
                return .object([("memcmp", .object([("offset", .int(Int64(offset))), ("bytes", .string(Base58.encode(bytes)))]))])
            }
        }
    }

    /// Accounts owned by `program` that pass every filter.
    public func programAccounts(_ program: Address, filters: [AccountFilter]) async throws(ChainError) -> [(Address, AccountInfo)] {
        let r = try await call("getProgramAccounts", [.string(program.base58), .object([
            ("encoding", .string("base64")), ("commitment", .string(config.commitment)),
            ("filters", .array(filters.map(\.json))),
        ])])
        guard let items = r.array else { throw .badResponse(method: "getProgramAccounts", reason: String(r.description.prefix(300))) }
        var out: [(Address, AccountInfo)] = []
        for item in items {
            guard let text = item["pubkey"]?.string, let address = try? Address(base58: text),
                  let account = item["account"], let info = Self.accountInfo(from: account) else {
                throw .badResponse(method: "getProgramAccounts", reason: String(item.description.prefix(300)))
            }
            out.append((address, info))
        }
        return out
    }

    static func accountInfo(from value: JSON) -> AccountInfo? {
        guard let lamports = value["lamports"]?.uint64,
              let ownerText = value["owner"]?.string, let owner = try? Address(base58: ownerText),
              let encoded = value["data"]?.array, encoded.count == 2, encoded[1].string == "base64",
              let b64 = encoded[0].string, let data = Data(base64Encoded: b64) else { return nil }
        return AccountInfo(lamports: lamports, owner: owner, data: Array(data), executable: value["executable"]?.bool ?? false)
    }

    public func minimumBalanceForRentExemption(_ size: Int) async throws(ChainError) -> UInt64 {
        let r = try await call("getMinimumBalanceForRentExemption", [.int(Int64(size))])
        guard let v = r.uint64 else { throw .badResponse(method: "getMinimumBalanceForRentExemption", reason: r.description) }
        return v
    }

    /// Asks for an airdrop (local and test networks only); returns its signature.
    public func requestAirdrop(_ address: Address, lamports: UInt64) async throws(ChainError) -> String {
        let r = try await call("requestAirdrop", [.string(address.base58), .uint(lamports)])
        guard let sig = r.string else { throw .badResponse(method: "requestAirdrop", reason: r.description) }
        return sig
    }

    /// Sends a signed transaction (base64); returns its signature. A failed
    /// preflight throws `.rpc` with the transaction error and logs.
    public func send(_ tx: Transaction, skipPreflight: Bool = false) async throws(ChainError) -> String {
        let wire = Data(tx.serialized()).base64EncodedString()
        let params: [JSON] = [.string(wire), .object([("encoding", .string("base64")),
                                                      ("skipPreflight", .bool(skipPreflight)),
                                                      ("preflightCommitment", .string(config.commitment))])]
        let r: JSON
        do {
            r = try await call("sendTransaction", params)
        } catch {
            // The very same signed transaction is already on chain (a retry
            // after a lost answer, a rebroadcast): its status is what counts.
            if error.failure == .named("AlreadyProcessed") { return tx.signature }
            throw error
        }
        guard let sig = r.string else { throw .badResponse(method: "sendTransaction", reason: r.description) }
        guard sig == tx.signature else {
            throw .badResponse(method: "sendTransaction", reason: "signature \(sig) is not the transaction's \(tx.signature)")
        }
        return sig
    }

    public func simulate(_ tx: Transaction) async throws(ChainError) -> Simulation {
        let wire = Data(tx.serialized()).base64EncodedString()
        let r = try await call("simulateTransaction", [.string(wire), .object([("encoding", .string("base64")),
                                                                              ("sigVerify", .bool(true)),
                                                                              ("commitment", .string(config.commitment))])])
        guard let value = r["value"] else { throw .badResponse(method: "simulateTransaction", reason: r.description) }
        let failure = value["err"].flatMap { $0.isNull ? nil : TransactionFailure(json: $0) }
        return Simulation(failure: failure, logs: value["logs"]?.array?.compactMap(\.string) ?? [],
                          unitsConsumed: value["unitsConsumed"]?.uint64)
    }

    public func signatureStatuses(_ signatures: [String]) async throws(ChainError) -> [SignatureStatus?] {
        let r = try await call("getSignatureStatuses", [.array(signatures.map { .string($0) }),
                                                        .object([("searchTransactionHistory", .bool(true))])])
        guard let values = r["value"]?.array, values.count == signatures.count else {
            throw .badResponse(method: "getSignatureStatuses", reason: String(r.description.prefix(300)))
        }
        return values.map { v in
            guard !v.isNull, let slot = v["slot"]?.uint64 else { return nil }
            let failure = v["err"].flatMap { $0.isNull ? nil : TransactionFailure(json: $0) }
            return SignatureStatus(slot: slot, failure: failure, confirmationStatus: v["confirmationStatus"]?.string)
        }
    }

    /// Polls until the signature reaches the configured commitment; throws
    /// `.transactionFailed` when it landed with an error, `.notConfirmed`
    /// after `confirmTimeout` seconds.
    @discardableResult
    public func confirm(_ signature: String) async throws(ChainError) -> SignatureStatus {
        let deadline = Date().addingTimeInterval(config.confirmTimeout)
        let wanted = Self.rank(config.commitment)
        let maxPolls = Int(config.confirmTimeout / config.pollInterval) + 2
        for _ in 0..<maxPolls {
            if let status = try await signatureStatuses([signature])[0] {
                if let failure = status.failure { throw .transactionFailed(signature: signature, failure: failure) }
                if Self.rank(status.confirmationStatus ?? "finalized") >= wanted { return status }
            }
            if Date() >= deadline { break }
            try? await Task.sleep(nanoseconds: UInt64(config.pollInterval * 1e9))
        }
        throw .notConfirmed(signature: signature, seconds: config.confirmTimeout)
    }

    /// Signs with a fresh blockhash, sends, and waits for confirmation,
    /// sending the same transaction again every `rebroadcastInterval` seconds
    /// (clusters drop packets) until it lands or its blockhash expires.
    @discardableResult
    public func sendAndConfirm(_ instructions: [Instruction], feePayer: KeyPair,
                               signers: [KeyPair] = []) async throws(ChainError) -> String {
        // A blockhash that aged out before the transaction landed (a busy
        // cluster) means it never can: sign again over a fresh one, as
        // wallets do. Nothing else is retried here.
        for attempt in 1...Self.blockhashAttempts {
            let (tx, lastValid) = try await expiringTransaction(instructions, feePayer: feePayer, signers: signers)
            do {
                _ = try await send(tx)
                try await confirm(tx, lastValidBlockHeight: lastValid)
                return tx.signature
            } catch where attempt < Self.blockhashAttempts && Self.blockhashAgedOut(error) {
                continue
            }
        }
        throw .config("unreachable: the last attempt returns or throws")
    }

    static let blockhashAttempts = 3

    /// The transaction was refused for its blockhash (preflight), or expired unseen.
    static func blockhashAgedOut(_ error: ChainError) -> Bool {
        if case .blockhashExpired = error { return true }
        return error.failure == .named("BlockhashNotFound")
    }

    /// A transaction signed over the latest blockhash, with the last block
    /// height at which it can land.
    public func expiringTransaction(_ instructions: [Instruction], feePayer: KeyPair,
                                    signers: [KeyPair] = []) async throws(ChainError) -> (Transaction, UInt64) {
        let (blockhash, lastValid) = try await latestBlockhashAndHeight()
        return (try Self.sign(instructions, feePayer: feePayer, signers: signers, blockhash: blockhash), lastValid)
    }

    /// Waits for a sent transaction, sending it again while it is not seen;
    /// throws `.blockhashExpired` once it can no longer land.
    @discardableResult
    public func confirm(_ tx: Transaction, lastValidBlockHeight lastValid: UInt64) async throws(ChainError) -> SignatureStatus {
        let sig = tx.signature
        let deadline = Date().addingTimeInterval(config.confirmTimeout)
        var lastSend = Date()
        let wanted = Self.rank(config.commitment)
        let maxPolls = Int(config.confirmTimeout / config.pollInterval) + 2
        for _ in 0..<maxPolls {
            if let status = try await signatureStatuses([sig])[0] {
                if let failure = status.failure { throw .transactionFailed(signature: sig, failure: failure) }
                if Self.rank(status.confirmationStatus ?? "finalized") >= wanted { return status }
            } else if Date().timeIntervalSince(lastSend) >= config.rebroadcastInterval {
                if try await blockHeight() > lastValid { throw .blockhashExpired(signature: sig) }
                _ = try? await send(tx, skipPreflight: true)
                lastSend = Date()
            }
            if Date() >= deadline { break }
            try? await Task.sleep(nanoseconds: UInt64(config.pollInterval * 1e9))
        }
        throw .notConfirmed(signature: sig, seconds: config.confirmTimeout)
    }

    /// A transaction signed over the latest blockhash.
    public func transaction(_ instructions: [Instruction], feePayer: KeyPair,
                            signers: [KeyPair] = []) async throws(ChainError) -> Transaction {
        try Self.sign(instructions, feePayer: feePayer, signers: signers, blockhash: try await latestBlockhash())
    }

    static func sign(_ instructions: [Instruction], feePayer: KeyPair, signers: [KeyPair],
                     blockhash: [UInt8]) throws(ChainError) -> Transaction {
        var all = [feePayer]
        for s in signers where !all.contains(where: { $0.address == s.address }) { all.append(s) }
        do {
            return try Transaction(instructions: instructions, feePayer: feePayer.address,
                                   recentBlockhash: blockhash, signers: all)
        } catch {
            throw .encoding(error)
        }
    }

    func commitmentConfig() -> JSON { .object([("commitment", .string(config.commitment))]) }

    static func rank(_ commitment: String) -> Int {
        switch commitment {
        case "processed": return 0
        case "confirmed": return 1
        default: return 2
        }
    }
}
