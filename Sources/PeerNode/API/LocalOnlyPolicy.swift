import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Who may talk to the local API: the node's own origin and programs that
/// are not browsers (nodectl, curl, players), never a page of another origin
/// (docs/http-api.md, "Pages of other origins").
///
/// A browser on this machine reaches 127.0.0.1 from any page it shows, so
/// every request is checked before any route sees it:
/// - **Host** must name this node: `localhost` or an IP address (never a DNS
///   name another party controls, which DNS rebinding would point at
///   127.0.0.1), with the port the API listens on.
/// - **Origin**, when a browser sends one, must be one of the node's own
///   (`http://HOST:PORT` with a Host as above); `null` is refused.
/// - **Sec-Fetch-Site**, sent by every current browser even on `<img>`,
///   `<video>` and `<script>` loads and navigations, must be `same-origin` or
///   `none` (typed, bookmarked, opened by a player).
/// - **Referer**, only when neither of the two above came (older browsers),
///   must be one of the node's own pages.
/// Programs that are not browsers send none of these but Host.
public final class LocalOnlyPolicy: Sendable {
    private let boundPort: Mutex<Int>

    public init(port: Int) { boundPort = Mutex(port) }

    /// The port the API listens on (known after binding when apiPort is 0).
    public var port: Int {
        get { boundPort.withLock { $0 } }
        set { boundPort.withLock { $0 = newValue } }
    }

    /// Why a request must be refused (nil: it may go on).
    public func refusal(host: String?, origin: String?, secFetchSite: String?, referer: String?) -> String? {
        let port = self.port
        let ours = "http://127.0.0.1:\(port), http://localhost:\(port) or http://[::1]:\(port)"
        guard let host, !host.isEmpty else {
            return "no Host header: the API answers only requests addressed to this node (\(ours))"
        }
        guard Self.isOwnAuthority(host, port: port) else {
            return "Host \"\(host)\" is not this node: the API answers only requests addressed to \(ours) "
                + "(a name that is not localhost could be a page's DNS rebinding; use one of these URLs)"
        }
        if let origin {
            guard Self.isOwnOrigin(origin, port: port) else {
                return "Origin \"\(origin)\" is another origin: pages of other origins may not use this node's API "
                    + "(no cross-origin requests, no CORS)"
            }
        }
        if let site = secFetchSite?.lowercased(), site != "same-origin", site != "none" {
            return "Sec-Fetch-Site \"\(site)\": the request comes from a page of another origin, "
                + "which may not use this node's API (open the URL yourself, or use nodectl)"
        }
        if origin == nil, secFetchSite == nil, let referer {
            guard let refererOrigin = Self.origin(ofURL: referer), Self.isOwnOrigin(refererOrigin, port: port) else {
                return "Referer \"\(referer)\" is a page of another origin, which may not use this node's API"
            }
        }
        return nil
    }

    /// `HOST:PORT` (or `HOST` for port 80) naming this node: localhost or an
    /// IP address that is not a wildcard, with `port`.
    static func isOwnAuthority(_ authority: String, port: Int) -> Bool {
        guard let (host, given) = split(authority: authority) else { return false }
        return given == port && isLocalName(host)
    }

    static func isOwnOrigin(_ origin: String, port: Int) -> Bool {
        let prefix = "http://"
        guard origin.lowercased().hasPrefix(prefix) else { return false }
        let authority = String(origin.dropFirst(prefix.count))
        guard !authority.contains("/") else { return false }
        return isOwnAuthority(authority, port: port)
    }

    /// `scheme://authority` of a URL, nil when it has none.
    static func origin(ofURL url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty else { return nil }
        return String(url[..<schemeEnd.upperBound]) + String(authority)
    }

    /// Host and port of `host:port`, `[v6]:port` or a bare host (port 80).
    static func split(authority: String) -> (String, Int)? {
        var host: Substring, portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { portText = nil } else {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard isIPv6(String(host)) else { return nil }
            host = "[" + host + "]"
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
        }
        let port: Int
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(portText),
                  (1...65535).contains(p) else { return nil }
            port = p
        } else {
            port = 80
        }
        return (String(host), port)
    }

    /// localhost, or an IPv4 or [IPv6] address other than a wildcard: names
    /// that no DNS answer can move.
    static func isLocalName(_ host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" { return true }
        if h.hasPrefix("[") && h.hasSuffix("]") {
            let inner = String(h.dropFirst().dropLast())
            return isIPv6(inner) && inner != "::" && !inner.hasPrefix("::ffff:0.0.0.0")
        }
        var v4 = in_addr()
        // inet_pton takes only the dotted quad (no "2130706433", no "127.1").
        return inet_pton(AF_INET, h, &v4) == 1 && v4.s_addr != 0
    }

    static func isIPv6(_ text: String) -> Bool {
        var v6 = in6_addr()
        return inet_pton(AF_INET6, text, &v6) == 1
    }
}
