import Foundation
import XCTest
@testable import PeerNode

/// The rules of LocalOnlyPolicy one by one (the daemon applies them in
/// LocalAPIGuardTests and HostilePageTests).
final class LocalOnlyPolicyTests: XCTestCase {
    let policy = LocalOnlyPolicy(port: 7390)

    func refused(host: String? = "127.0.0.1:7390", origin: String? = nil, site: String? = nil, referer: String? = nil) -> Bool {
        policy.refusal(host: host, origin: origin, secFetchSite: site, referer: referer) != nil
    }

    func testHostMustNameThisNode() {
        for host in ["127.0.0.1:7390", "localhost:7390", "LocalHost:7390", "[::1]:7390", "127.0.0.2:7390", "192.168.1.5:7390"] {
            XCTAssertFalse(refused(host: host), host)
        }
        for host in [nil, "", "evil.test:7390", "evil.test", "localhost.evil.test:7390", "127.0.0.1.nip.io:7390",
                     "127.0.0.1:7391", "127.0.0.1", "localhost", "localhost.:7390", "0.0.0.0:7390", "[::]:7390",
                     "2130706433:7390", "127.1:7390", "0x7f000001:7390", "[::1]", "::1:7390", "[evil]:7390",
                     "127.0.0.1:7390:1", "127.0.0.1:+7390", "127.0.0.1:07390x", "127.0.0.1:", "user@127.0.0.1:7390"] {
            XCTAssertTrue(refused(host: host), host ?? "no Host")
        }
        let port80 = LocalOnlyPolicy(port: 80)
        XCTAssertNil(port80.refusal(host: "localhost", origin: "http://localhost", secFetchSite: nil, referer: nil))
    }

    func testOriginSecFetchSiteAndReferer() {
        XCTAssertFalse(refused(origin: "http://127.0.0.1:7390"))
        XCTAssertFalse(refused(origin: "http://localhost:7390"))
        for origin in ["http://evil.test", "null", "", "http://127.0.0.1:7391", "https://127.0.0.1:7390",
                       "http://127.0.0.1:7390/", "file://", "http://evil.test:7390"] {
            XCTAssertTrue(refused(origin: origin), origin)
        }
        XCTAssertFalse(refused(site: "same-origin"))
        XCTAssertFalse(refused(site: "none"))
        XCTAssertTrue(refused(site: "same-site"), "127.0.0.1 on another port is the same site, not the same origin")
        XCTAssertTrue(refused(site: "cross-site"))
        XCTAssertTrue(refused(origin: "http://127.0.0.1:7390", site: "cross-site"))
        XCTAssertFalse(refused(referer: "http://127.0.0.1:7390/watch?x=1"))
        XCTAssertTrue(refused(referer: "http://evil.test/"))
        XCTAssertTrue(refused(referer: "not a url"))
        // Sec-Fetch-Site wins over Referer (a browser that sends it says the truth about the page).
        XCTAssertFalse(refused(site: "none", referer: "http://evil.test/"))
    }

    func testMessagesSayWhatToDo() {
        let host = policy.refusal(host: "evil.test:7390", origin: nil, secFetchSite: nil, referer: nil) ?? ""
        XCTAssertTrue(host.contains("http://127.0.0.1:7390") && host.contains("DNS rebinding"), host)
        let origin = policy.refusal(host: "127.0.0.1:7390", origin: "http://evil.test", secFetchSite: nil, referer: nil) ?? ""
        XCTAssertTrue(origin.contains("http://evil.test") && origin.contains("other origins"), origin)
    }

    func testTokenComparisonLooksAtEveryByte() {
        let token = String(repeating: "ab", count: 32)
        XCTAssertTrue(APIServer.constantTimeEqual("Bearer " + token, "Bearer " + token))
        XCTAssertFalse(APIServer.constantTimeEqual("Bearer " + token.dropLast() + "c", "Bearer " + token))
        XCTAssertFalse(APIServer.constantTimeEqual("Bearer " + token + "a", "Bearer " + token))
        XCTAssertFalse(APIServer.constantTimeEqual("", "Bearer " + token))
        XCTAssertFalse(APIServer.constantTimeEqual("Bearer " + token.dropLast(), "Bearer " + token))
        // A prefix padded with what the missing bytes are compared to (0) is still wrong.
        XCTAssertFalse(APIServer.constantTimeEqual("ab", "ab\u{0}"))
    }
}
