import CurlHTTP
import Foundation

extension HTTPResponse {
    /// Decodes a JSON body, or says what came instead.
    func decode<T: Decodable>(_ type: T.Type, url: String) throws(RemotePinError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw .badResponse(url: url, reason: "expected JSON \(T.self), got \(bodyText.prefix(200).debugDescription)")
        }
    }
}

func encodeJSON<T: Encodable>(_ value: T) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Array((try? encoder.encode(value)) ?? Data())
}

/// Percent-encodes a query value.
func queryEscape(_ s: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
}

/// "http://host:port/" + "path", without doubled slashes.
func joinURL(_ base: String, _ path: String) -> String {
    var b = base
    while b.hasSuffix("/") { b.removeLast() }
    return b + (path.hasPrefix("/") ? path : "/" + path)
}
