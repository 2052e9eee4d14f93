import CurlHTTP
import Foundation

/// A client of the running daemon's HTTP API: the URL from `api.json` and
/// the token from `api.token` in the data directory.
struct DaemonClient {
    let baseURL: String
    let token: String

    init(dataDirectory: DataDirectory) throws {
        let apiFile = dataDirectory.path + "/api.json"
        guard let data = FileManager.default.contents(atPath: apiFile),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let url = object["url"] as? String else {
            throw CLIError("no daemon is running for \(dataDirectory.path) (no api.json); start one with `nodectl daemon --data-dir \(dataDirectory.path)`")
        }
        baseURL = url
        token = (try? String(contentsOfFile: dataDirectory.path + "/api.token", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// Calls the API; returns the JSON body, or throws the daemon's error message.
    func call(_ method: String, _ path: String, body: [String: Any]? = nil, timeout: Double = 600) throws -> Data {
        var headers = [("Accept", "application/json")]
        if method != "GET" { headers.append(("Authorization", "Bearer " + token)) }
        var bytes: [UInt8] = []
        if let body {
            headers.append(("Content-Type", "application/json"))
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
        }
        let response: CurlHTTP.Response
        do {
            response = try CurlHTTP.perform(CurlHTTP.Request(method: method, url: baseURL + path, headers: headers,
                                                             body: bytes, timeout: timeout, maxResponseBytes: 64 << 20))
        } catch {
            throw CLIError("cannot reach the daemon at \(baseURL) (is it running?): \(error)")
        }
        let data = Data(response.body)
        guard (200..<300).contains(response.status) else {
            let message = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["error"] as? String
            throw CLIError(message ?? "the daemon answered \(response.status) to \(method) \(path)", status: response.status)
        }
        return data
    }

    func object(_ method: String, _ path: String, body: [String: Any]? = nil) throws -> [String: Any] {
        let data = try call(method, path, body: body)
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}

/// Prints a daemon's JSON answer as is (for --json).
func printRaw(_ data: Data) {
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}
