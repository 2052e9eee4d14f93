import Foundation
import Identity
import Logging
import XCTest
@testable import PeerNode

/// docs/openapi.json lists exactly the routes the daemon's router has
/// (schemathesis then checks the answers against it: ApiSpecTests).
final class ApiSpecRoutesTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func documentedRoutes() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.repository + "/docs/openapi.json"))
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(doc["openapi"] as? String, "3.1.0")
        let paths = try XCTUnwrap(doc["paths"] as? [String: [String: Any]])
        let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        return paths.flatMap { path, operations in
            operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
        }.sorted()
    }

    func testEveryRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        let dir = NSTemporaryDirectory() + "api-spec-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let node = try await PeerNode.start(dataDirectory: dir, config: NodeConfig(), identity: KeyPair.generate(), logger: logger)
        let routes = APIServer.routeList(APIServer.router(node: node, token: String(repeating: "0", count: 64), baseURL: { "" }))
        await node.stop()
        let documented = try documentedRoutes()
        XCTAssertGreaterThan(routes.count, 15)
        XCTAssertEqual(Set(routes).subtracting(documented).sorted(), [], "routes missing from docs/openapi.json")
        XCTAssertEqual(Set(documented).subtracting(routes).sorted(), [], "documented routes the router does not have")
        XCTAssertEqual(routes.count, Set(routes).count)
    }

    func testEveryOperationDocumentsItsRefusalsAndStateChangesNeedTheToken() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.repository + "/docs/openapi.json"))
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        for (path, operations) in try XCTUnwrap(doc["paths"] as? [String: [String: Any]]) {
            for (method, value) in operations {
                let operation = try XCTUnwrap(value as? [String: Any])
                let responses = try XCTUnwrap(operation["responses"] as? [String: Any])
                XCTAssertNotNil(responses["403"], "\(method) \(path): the cross-origin refusal")
                let security = operation["security"] as? [[String: Any]] ?? []
                if method == "post" {
                    XCTAssertFalse(security.isEmpty, "\(method) \(path) changes state: it needs the token")
                    XCTAssertNotNil(responses["401"], "\(method) \(path)")
                    XCTAssertNotNil(responses["413"], "\(method) \(path)")
                } else {
                    XCTAssertTrue(security.isEmpty, "\(method) \(path) is a read: no token")
                }
            }
        }
    }
}
