import Foundation
import HTTPTypes
import Hummingbird

/// The API's outermost responder: refuses what `LocalOnlyPolicy` refuses
/// before any route runs (the same answer, at once, whatever the route,
/// so a page cannot learn which streams exist by timing), refuses every
/// CORS preflight, answers unknown routes with the usual JSON error, and
/// puts headers on every answer that keep other origins from loading it
/// as a script, an image, a video or a frame.
public struct LocalOnlyResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == BasicRequestContext {
    public typealias Context = BasicRequestContext
    let inner: Inner
    let policy: LocalOnlyPolicy
    let metrics: NodeMetrics

    public init(_ inner: Inner, policy: LocalOnlyPolicy, metrics: NodeMetrics) {
        self.inner = inner
        self.policy = policy
        self.metrics = metrics
    }

    static var secFetchSite: HTTPField.Name { HTTPField.Name("Sec-Fetch-Site")! }

    public func respond(to request: Request, context: Context) async throws -> Response {
        var response = try await answer(request, context: context)
        Self.addProtectiveHeaders(&response.headers)
        return response
    }

    func answer(_ request: Request, context: Context) async throws -> Response {
        let origins = request.headers[values: .origin]
        let secondHost = request.headers[HTTPField.Name("Host")!]
        if let secondHost {
            return refuse("two Host headers (\(request.head.authority ?? "") and \(secondHost)): send one")
        }
        if origins.count > 1 { return refuse("more than one Origin header") }
        if let why = policy.refusal(host: request.head.authority, origin: origins.first,
                                    secFetchSite: request.headers[Self.secFetchSite], referer: request.headers[.referer]) {
            return refuse(why)
        }
        if request.method == .options {
            return refuse("OPTIONS: this API answers no CORS preflight; pages of other origins may not use it")
        }
        let response = try await inner.respond(to: request, context: context)
        // The router's own errors (no such route, a body over its limit) come without a body.
        if response.status.code >= 400, response.headers[.contentType] == nil {
            metrics.add(.apiErrors)
            let why = response.status == .notFound
                ? "no route \(request.method) \(request.uri.path) (docs/http-api.md lists them)"
                : "\(response.status.code) \(response.status.reasonPhrase)"
            return APIServer.json(APIServer.ErrorBody(error: why), status: response.status)
        }
        return response
    }

    func refuse(_ why: String) -> Response {
        metrics.add(.apiErrors)
        metrics.add(.apiRefused)
        return APIServer.json(APIServer.ErrorBody(error: why), status: .forbidden)
    }

    /// No CORS headers ever; no loading by other origins (CORP), no sniffing
    /// JSON as a script, no framing.
    static func addProtectiveHeaders(_ headers: inout HTTPFields) {
        headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "same-origin"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[.contentSecurityPolicy] = "frame-ancestors 'none'"
        headers[.vary] = "Origin, Sec-Fetch-Site"
    }
}
