import ContentStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import RemotePin

/// The local HTTP API (docs/http-api.md): JSON under /v1, a bearer token
/// for every call that changes state, Prometheus text at /metrics, and HLS
/// playlists and segments under /hls for players.
public enum APIServer {
    public struct ErrorBody: Codable, Sendable {
        public let error: String
        /// Remote locations recorded before the error (remote pinning), so the caller knows what was done.
        public var records: [RemoteLocation]? = nil

        public init(error: String, records: [RemoteLocation]? = nil) {
            self.error = error
            self.records = records
        }
    }

    /// The largest request body any route takes: every body is a small JSON
    /// object (a path, a title, a chat line), so 64 KiB is plenty; more is
    /// refused with 413 before it is read.
    public static let maxBodyBytes = 64 * 1024
    /// Connections the API keeps open at once; more wait to be accepted.
    public static let maxConnections = 256

    /// A request refused for what it is rather than what it asks (413).
    struct Refusal: Error, CustomStringConvertible {
        let status: HTTPResponse.Status
        let description: String
    }

    /// The router with every route; `baseURL` is how players reach us (for /v1/watch).
    public static func router(node: PeerNode, token: String, baseURL: @escaping @Sendable () -> String) -> Router<BasicRequestContext> {
        let router = Router()
        let metrics = node.metrics

        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.prometheusText())))
        }
        router.get("/v1/id") { _, _ in
            json(Identity(address: node.address.base58, gossip: node.gossipEndpoint, exchange: node.exchangeEndpoint))
        }
        router.get("/v1/peers") { _, _ in
            json(Peers(gossip: await node.gossip.connectedPeers().map(\.base58), exchange: await node.exchange.peerList()))
        }
        router.get("/v1/streams") { _, _ in json(await node.streams()) }
        router.get("/v1/stats") { _, _ in
            let stats = try? node.store.stats()
            var counters: [String: UInt64] = [:]
            for c in NodeMetrics.Counter.allCases { counters[c.rawValue] = metrics.value(c) }
            return json(Stats(chunks: stats?.chunks ?? 0, bytes: stats?.bytes ?? 0, quota: stats?.quota,
                              pinnedRoots: stats?.pinnedRoots ?? 0, counters: counters))
        }
        router.post("/v1/gc") { request, _ in
            try await guarded(metrics, request: request, token: token) {
                let removed = try node.store.collectGarbage()
                return json(Collected(chunks: removed.chunks, bytes: Int(removed.bytes), manifests: removed.manifests))
            }
        }
        router.get("/v1/streams/:creator/:name/manifest") { _, context in
            try await guarded(metrics) {
                json(try await node.currentManifest(stream: try streamParameter(context)))
            }
        }
        router.get("/v1/streams/:creator/:name/poster") { _, context in
            try await guarded(metrics) {
                let bytes = try await node.poster(stream: try streamParameter(context))
                return Response(status: .ok, headers: [.contentType: PosterFrame.mediaType, .cacheControl: "max-age=86400"],
                                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
        }
        router.post("/v1/publish") { request, _ in
            try await guarded(metrics, request: request, token: token) {
                let body = try await body(PublishRequest.self, of: request)
                return json(try await node.publishVOD(video: body.video, title: body.title, name: body.name,
                                                      pricePerSecond: body.pricePerSecond, ladder: body.ladder))
            }
        }
        router.post("/v1/live") { request, _ in
            try await guarded(metrics, request: request, token: token) {
                let body = try await body(LiveRequest.self, of: request)
                let stream = try await node.startLive(hlsDirectory: body.hlsDir, title: body.title, name: body.name,
                                                      pricePerSecond: body.pricePerSecond, stallTimeout: body.stallTimeout,
                                                      onRestart: body.onRestart, record: body.record)
                return json(LiveStarted(stream: stream))
            }
        }
        router.post("/v1/live/:creator/:name/end") { request, context in
            try await guarded(metrics, request: request, token: token) {
                let stream = try streamParameter(context)
                try await node.endLive(stream: stream)
                return json(LiveEnded(stream: stream, ended: "true"))
            }
        }
        router.post("/v1/watch/:creator/:name") { request, context in
            try await guarded(metrics, request: request, token: token) {
                let stream = try streamParameter(context)
                // Resolving the playlist fetches the manifest and starts fetching ahead.
                _ = try await node.playlist(stream: stream)
                let manifest = try await node.currentManifest(stream: stream)
                return json(Watch(stream: stream, url: "\(baseURL())/hls/\(stream)/index.m3u8",
                                  kind: manifest.kind.rawValue, segments: manifest.segments.count,
                                  pricePerSecond: manifest.pricePerSecond,
                                  warning: await node.paymentWarning(for: manifest)))
            }
        }
        router.get("/v1/chat/:creator/:name") { request, context in
            try await guarded(metrics) {
                let limit = try chatLimit(request.uri.queryParameters.get("limit"))
                return json(try await node.chat(stream: try streamParameter(context), limit: limit))
            }
        }
        router.post("/v1/chat/:creator/:name") { request, context in
            try await guarded(metrics, request: request, token: token) {
                let body = try await body(ChatRequest.self, of: request)
                let id = try await node.sendChat(stream: try streamParameter(context), message: body.text)
                return json(ChatPosted(id: id))
            }
        }
        router.post("/v1/tip") { request, _ in
            try await guarded(metrics, request: request, token: token) {
                let body = try await body(TipRequest.self, of: request)
                return json(try await node.tip(stream: body.stream, amount: body.amount, message: body.message))
            }
        }
        router.get("/v1/earnings") { _, _ in
            try await guarded(metrics) { json(try await node.earnings()) }
        }
        router.get("/v1/channels") { _, _ in
            try await guarded(metrics) { json(try await node.channels()) }
        }
        router.get("/v1/spending") { _, _ in
            try await guarded(metrics) { json(try await node.spending()) }
        }
        router.post("/v1/claim") { request, _ in
            try await guarded(metrics, request: request, token: token) { json(try await node.claimAll()) }
        }
        addRemotePinRoutes(to: router, node: node, token: token)
        router.get("/hls/:creator/:name/:file") { _, context in
            try await guarded(metrics) {
                let stream = try streamParameter(context)
                let name = context.parameters.get("file") ?? ""
                guard let file = HLSFile(name) else {
                    throw PeerNodeError.notFound("\(name.prefix(80)): a stream's files are index.m3u8, 480p.m3u8, init.mp4 and N.m4s (or N.ts), a rendition's prefixed 480p-")
                }
                let body: ByteBuffer
                switch file {
                case .index: body = ByteBuffer(string: try await node.indexPlaylist(stream: stream))
                case .playlist(let rendition): body = ByteBuffer(string: try await node.playlist(stream: stream, rendition: rendition))
                case .initSegment(let rendition, let sequence):
                    body = ByteBuffer(bytes: try await node.initSegment(stream: stream, rendition: rendition, sequence: sequence))
                case .segment(let rendition, let sequence, _):
                    body = ByteBuffer(bytes: try await node.segment(stream: stream, sequence: sequence, rendition: rendition))
                }
                var headers: HTTPFields = [.contentType: file.contentType]
                if case .index = file { headers[.cacheControl] = "no-cache"; metrics.add(.hlsRequests) }
                if case .playlist = file { headers[.cacheControl] = "no-cache"; metrics.add(.hlsRequests) }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
            }
        }
        return router
    }

    /// Lines a chat read may ask for. A negative `limit` crashed the daemon
    /// (schemathesis found it): anything but a whole number 1 to 1000 is a 400.
    static let chatLimits = 1...1000

    static func chatLimit(_ text: String?) throws -> Int? {
        guard let text else { return nil }
        guard let limit = Int(text), chatLimits.contains(limit) else {
            throw PeerNodeError.badRequest("limit must be a whole number from \(chatLimits.lowerBound) to \(chatLimits.upperBound); got \"\(text)\"")
        }
        return limit
    }

    static func streamParameter(_ context: BasicRequestContext) throws -> String {
        guard let creator = context.parameters.get("creator"), let name = context.parameters.get("name") else {
            throw PeerNodeError.badRequest("the path needs CREATOR/NAME")
        }
        return "\(creator)/\(name)"
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Runs a handler: checks the token when a request is given, and turns
    /// errors into JSON `{"error": ...}` with a fitting status.
    static func guarded(_ metrics: NodeMetrics, request: Request? = nil, token: String? = nil,
                        _ body: () async throws -> Response) async throws -> Response {
        if let request, let token {
            let given = request.headers[.authorization] ?? ""
            guard constantTimeEqual(given, "Bearer " + token) else {
                metrics.add(.apiErrors)
                return json(ErrorBody(error: "this call changes state and needs `Authorization: Bearer <token>` (the token is in the data directory's api.token)"),
                            status: .unauthorized)
            }
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodyBytes {
                metrics.add(.apiErrors)
                return json(ErrorBody(error: "request body too large: \(request.uri.path) takes at most \(maxBodyBytes) bytes of JSON"),
                            status: .contentTooLarge)
            }
        }
        do { return try await body() } catch {
            metrics.add(.apiErrors)
            let recorded = (error as? RemotePinServiceError)?.recorded ?? []
            return json(ErrorBody(error: "\(error)", records: recorded.isEmpty ? nil : recorded), status: status(for: error))
        }
    }

    /// The status an error answers with.
    static func status(for error: any Error) -> HTTPResponse.Status {
        switch error {
        case PeerNodeError.notFound: return .notFound
        case PeerNodeError.badRequest, PeerNodeError.badManifest, PeerNodeError.ffmpeg: return .badRequest
        case PeerNodeError.unavailable: return .serviceUnavailable
        case PeerNodeError.paymentRequired: return .init(code: 402, reasonPhrase: "Payment Required")
        case PeerNodeError.paymentsOff: return .conflict
        case PeerNodeError.diskFull, ContentStoreError.diskFull: return .init(code: 507, reasonPhrase: "Insufficient Storage")
        case is DecodingError: return .badRequest
        case let refusal as Refusal: return refusal.status
        case let http as any HTTPResponseError: return http.status
        default: return remoteStatus(for: error) ?? .internalServerError
        }
    }

    /// Compares a given secret with the expected one in time that depends
    /// only on the expected one's length: every byte is looked at, whatever
    /// the given one is, and a wrong length is no shortcut.
    static func constantTimeEqual(_ given: String, _ expected: String) -> Bool {
        let x = Array(given.utf8), y = Array(expected.utf8)
        var diff = UInt8(truncatingIfNeeded: x.count ^ y.count) | (x.count == y.count ? 0 : 1)
        for i in y.indices { diff |= (i < x.count ? x[i] : 0) ^ y[i] }
        return diff == 0
    }

    /// The JSON body of a request as `T`: 413 past `maxBodyBytes` (told by
    /// Content-Length before reading, or found while reading), 400 with the
    /// field and the rule when it is not the JSON this call takes.
    static func body<T: Decodable>(_ type: T.Type, of request: Request, limit: Int = maxBodyBytes) async throws -> T {
        let tooLarge = Refusal(status: .contentTooLarge,
                               description: "request body too large: \(request.uri.path) takes at most \(limit) bytes of JSON")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw tooLarge }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch is NIOTooManyBytesError { throw tooLarge }
        let data = Data(buffer.readableBytesView)
        do { return try JSONDecoder().decode(T.self, from: data) } catch let error as DecodingError {
            if case .dataCorrupted(let c) = error, c.codingPath.isEmpty, let why = numberOutOfRange(in: data) {
                throw PeerNodeError.badRequest(why)
            }
            throw PeerNodeError.badRequest(describe(error))
        }
    }

    /// The decoder calls a number it cannot hold (-1 or 1.5 for a count)
    /// invalid JSON without naming the field: every whole-number field of a
    /// body is a count (0 or more), so the first other number is the culprit.
    static func numberOutOfRange(in data: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let number = value as? NSNumber else { continue }  // true and false are 1 and 0: never flagged
            let double = number.doubleValue
            if double < 0 || double != double.rounded() || double > Double(UInt64.max) {
                return "`\(key)` must be a whole number from 0 to \(UInt64.max) (a number of seconds may have a fraction); got \(number)"
            }
        }
        return nil
    }

    /// A decoding error as a sentence naming the field.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the body" : "`" + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + "`"
        }
        switch error {
        case .keyNotFound(let key, let c):
            return "the body needs the field \(path(c.codingPath + [key]))"
        case .typeMismatch(let type, let c), .valueNotFound(let type, let c):
            return "\(path(c.codingPath)) must be \(describe(type))"
        case .dataCorrupted(let c):
            return c.codingPath.isEmpty ? "the body is not JSON (a JSON object is expected)" : "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default:
            return "the body is not the JSON this call takes"
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is UInt64.Type, is Int.Type: return "a whole number, 0 or more"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default: return "a JSON object"
        }
    }

    /// Every route of a router as `METHOD /path/{parameter}` (OpenAPI's way
    /// of writing parameters), sorted: what docs/openapi.json must list.
    public static func routeList(_ router: Router<BasicRequestContext>) -> [String] {
        router.routes.map { route in
            let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix(":") ? "{" + part.dropFirst() + "}" : String(part)
            }.joined(separator: "/")
            return "\(route.method.rawValue) \(path)"
        }.sorted()
    }
}
