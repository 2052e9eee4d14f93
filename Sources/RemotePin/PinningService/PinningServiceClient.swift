import CurlHTTP
import Foundation

/// A client of the IPFS Pinning Service API: POST /pins, GET /pins,
/// GET /pins/{requestid}, DELETE /pins/{requestid}, with a bearer token; and
/// `waitUntilDone`, which follows a request through queued and pinning to
/// pinned, or reports the service's reason when it fails.
public struct PinningServiceClient: Sendable {
    public struct Config: Sendable, Equatable {
        /// The service's endpoint, e.g. https://host/psa (requests go to ENDPOINT/pins).
        public var endpoint: String
        public var token: String
        public var timeout: Double

        public init(endpoint: String, token: String, timeout: Double = RemoteDefaults.requestTimeout) {
            self.endpoint = endpoint
            self.token = token
            self.timeout = timeout
        }
    }

    public let config: Config
    let transport: any HTTPClient

    public init(config: Config, transport: any HTTPClient = CurlClient()) {
        self.config = config
        self.transport = transport
    }

    public func add(_ pin: Pin) throws(RemotePinError) -> PinStatus {
        let (url, r) = try call("POST", "/pins", body: encodeJSON(pin), expect: [200, 202])
        return try r.decode(PinStatus.self, url: url)
    }

    public func status(_ requestID: String) throws(RemotePinError) -> PinStatus {
        let (url, r) = try call("GET", "/pins/\(queryEscape(requestID))", expect: [200])
        return try r.decode(PinStatus.self, url: url)
    }

    /// Pin requests matching the filters (the spec's default status filter is "pinned").
    public func list(cids: [String] = [], name: String? = nil, statuses: [PinState] = [.pinned],
                     meta: [String: String]? = nil, limit: Int = 10) throws(RemotePinError) -> PinResults {
        var q = ["limit=\(limit)", "status=" + statuses.map(\.rawValue).joined(separator: ",")]
        if !cids.isEmpty { q.append("cid=" + queryEscape(cids.joined(separator: ","))) }
        if let name { q.append("name=" + queryEscape(name)) }
        if let meta { q.append("meta=" + queryEscape(String(decoding: encodeJSON(meta), as: UTF8.self))) }
        let (url, r) = try call("GET", "/pins?" + q.joined(separator: "&"), expect: [200])
        return try r.decode(PinResults.self, url: url)
    }

    public func remove(_ requestID: String) throws(RemotePinError) {
        _ = try call("DELETE", "/pins/\(queryEscape(requestID))", expect: [200, 202])
    }

    /// Polls until the request is pinned (returned) or failed (`.pinFailed`
    /// with the service's reason), or `timeout` passes (`.pinTimedOut` with
    /// the last status). `onChange` sees each new status.
    public func waitUntilDone(_ requestID: String, timeout: Double = RemoteDefaults.pinWaitTimeout,
                              pollInterval: Double = RemoteDefaults.pinPollInterval,
                              onChange: ((PinStatus) -> Void)? = nil) throws(RemotePinError) -> PinStatus {
        let deadline = Date().addingTimeInterval(timeout)
        var last: PinState?
        while true {
            let s = try status(requestID)
            if s.status != last {
                last = s.status
                onChange?(s)
            }
            switch s.status {
            case .pinned: return s
            case .failed:
                throw .pinFailed(requestID: requestID, cid: s.pin.cid, reason: s.details ?? "the service gave no reason")
            case .queued, .pinning:
                if Date() >= deadline {
                    throw .pinTimedOut(requestID: requestID, cid: s.pin.cid, status: s.status.rawValue, seconds: timeout)
                }
                Thread.sleep(forTimeInterval: max(0.01, min(pollInterval, deadline.timeIntervalSinceNow)))
            }
        }
    }

    private func call(_ method: String, _ path: String, body: [UInt8] = [],
                      expect: Set<Int>) throws(RemotePinError) -> (String, HTTPResponse) {
        let url = joinURL(config.endpoint, path)
        var headers = [("Authorization", "Bearer \(config.token)"), ("Accept", "application/json")]
        if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
        let r = try transport.call(HTTPRequest(method: method, url: url, headers: headers, body: body,
                                               timeout: config.timeout))
        guard expect.contains(r.status) else {
            struct Failure: Decodable { struct E: Decodable { let reason: String; let details: String? }; let error: E }
            if let f = try? JSONDecoder().decode(Failure.self, from: Data(r.body)) {
                throw .server(url: url, status: r.status, message: f.error.reason + (f.error.details.map { ": " + $0 } ?? ""))
            }
            throw .server(url: url, status: r.status, message: r.bodyText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return (url, r)
    }
}
