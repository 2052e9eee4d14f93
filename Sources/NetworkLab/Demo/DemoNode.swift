import CurlHTTP
import Foundation
import Identity
import PeerNode

/// One of the demo's daemons once it listens: who it is, where its API is,
/// and calls to that API (through the same client the online commands use).
struct DemoNode: Sendable {
    let name: String
    let role: DemoRole
    let dataDirectory: String
    let address: Address
    let config: NodeConfig
    let client: NodeClient
    /// ADDRESS@ENDPOINT, how other nodes bootstrap to it.
    let gossipPeer: String
    let log: String
    let pid: Int32

    var apiURL: String { client.baseURL }

    /// GET, decoded as the daemon's own type; errors name the node and path.
    func get<T: Decodable>(_ path: String, as type: T.Type = T.self, timeout: Double = 60) throws -> T {
        try decode(try call("GET", path, body: nil, timeout: timeout), path)
    }

    /// POST with the API token and no body, decoded as the daemon's own type.
    func post<T: Decodable>(_ path: String, as type: T.Type = T.self, timeout: Double = 60) throws -> T {
        try decode(try call("POST", path, body: nil, timeout: timeout), path)
    }

    /// POST with the API token and `body` (the API's own request type), decoded as the daemon's own type.
    func post<T: Decodable>(_ path: String, json body: some Encodable, as type: T.Type = T.self,
                            timeout: Double = 60) throws -> T {
        let bytes: Data
        do { bytes = try JSONEncoder().encode(body) } catch { throw LabError("\(name): \(path): \(error)") }
        return try decode(try call("POST", path, body: bytes, timeout: timeout), path)
    }

    func call(_ method: String, _ path: String, body: Data?, timeout: Double) throws -> Data {
        do {
            return try client.call(method, path, body: body, timeout: timeout)
        } catch {
            throw LabError("\(name): \(method) \(path): \(error)")
        }
    }

    /// A player's GET (playlists and segments under /hls): status and bytes.
    func fetch(_ path: String, timeout: Double = 60) throws -> (status: Int, body: [UInt8]) {
        do {
            let r = try CurlHTTP.perform(CurlHTTP.Request(method: "GET", url: apiURL + path, timeout: timeout,
                                                          maxResponseBytes: 256 << 20))
            return (r.status, r.body)
        } catch {
            throw LabError("\(name): GET \(path): \(error)")
        }
    }

    /// The node's counters (GET /v1/stats, the same figures as /metrics).
    func counter(_ counter: NodeMetrics.Counter, in stats: APIServer.Stats) -> UInt64 {
        stats.counters[counter.rawValue] ?? 0
    }

    private func decode<T: Decodable>(_ data: Data, _ path: String) throws -> T {
        do { return try NodeClient.decode(data, path) } catch { throw LabError("\(name): \(error)") }
    }
}
