import Foundation
import XCTest

/// schemathesis (PyPI, in .venv) against a live daemon: a bounded number of
/// generated requests per operation of docs/openapi.json; no answer may be
/// a 500 and every answer must match the document (status, content type,
/// body schema). The routes themselves are compared in ApiSpecRoutesTests.
final class ApiSpecTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    /// Generated examples per operation (besides the document's own examples
    /// and the boundary cases of the coverage phase): about 1,500 requests in
    /// all, under a minute on two cores.
    static let examplesPerOperation = 100

    /// The creator address in the document's examples (32 zero bytes).
    static let exampleCreator = "11111111111111111111111111111111"

    func testEveryAnswerMatchesTheDocument() throws {
        let schemathesis = Self.repository + "/.venv/bin/schemathesis"
        guard FileManager.default.isExecutableFile(atPath: schemathesis) else {
            throw TestFailure("no \(schemathesis): run ./bootstrap (requirements.txt installs schemathesis into .venv)")
        }
        let scratch = try Scratch("apispec")
        // A short request time-out for peers keeps generated watch calls quick.
        let node = try DaemonProcess(name: "node", in: scratch, config: ["requestTimeout": 0.5])
        defer { node.stop() }
        // A stream of the node's own, so the document's examples (CREATOR/show,
        // segment 0) reach real playlists, segments, manifests and chat.
        let video = try makeTestVideo(in: scratch, seconds: 4)
        let published = try node.publish(video, title: "show", name: "show")
        XCTAssertEqual(published.status, 200, "\(published)")
        let document = try String(contentsOfFile: Self.repository + "/docs/openapi.json", encoding: .utf8)
        XCTAssertTrue(document.contains(Self.exampleCreator))
        let spec = scratch.path + "/openapi.json"
        try document.replacingOccurrences(of: Self.exampleCreator, with: node.address).write(toFile: spec, atomically: true, encoding: .utf8)
        let report = scratch.path + "/report"
        let (status, out, err) = try runProgram(schemathesis, [
            "--config-file", Self.repository + "/Tests/schemathesis.toml",
            "run", spec,
            "--url", node.apiURL,
            "--header", "Authorization: Bearer " + (try node.apiToken()),
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples", String(Self.examplesPerOperation),
            "--phases", "examples,coverage,fuzzing",
            "--mode", "all",
            "--seed", "1",
            "--workers", "1",
            "--request-timeout", "20",
            "--suppress-health-check", "all",
            "--report", "junit", "--report-junit-path", report + "/junit.xml",
        ], timeout: 240)
        let tail = String(out.suffix(6000)) + String(err.suffix(2000))
        XCTAssertEqual(status, 0, "schemathesis found answers that break docs/openapi.json or 500s:\n" + tail)
        // The run looked at every operation (a run that tested nothing would also exit 0).
        let junit = (try? String(contentsOfFile: report + "/junit.xml", encoding: .utf8)) ?? ""
        let operations = junit.components(separatedBy: "<testcase ").count - 1
        XCTAssertGreaterThanOrEqual(operations, 20, "operations tested: \(operations)\n" + tail)
        print("schemathesis: \(operations) operations, up to \(Self.examplesPerOperation) examples each\n" + String(out.suffix(1500)))
        XCTAssertGreaterThan(node.counter("peernode_hls_requests_total"), 0, "the examples reached the real stream's playlist")
        XCTAssertEqual(try node.client.id().address, node.address, "the daemon still answers")
    }
}
