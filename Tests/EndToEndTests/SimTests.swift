import Foundation
import TestSupport
import Testing

/// `nodectl sim smoke` as CI runs it: ten real daemons on a local chain, a
/// relay killed and restarted, a viewer frozen; the run's own checks must
/// all hold, and its report.json must say what the test asserts here.
@Suite(.serialized)
struct SimTests {
    static func number(_ value: Any?) -> Double { (value as? NSNumber)?.doubleValue ?? -1 }

    @Test("nodectl sim smoke: exit 0, every check held, every viewer played to the end, the faults happened")
    func smoke() throws {
        let scratch = try Scratch("sim")
        let out = scratch.path + "/out"
        let started = Date()
        let result = try NodectlProcess.run(["sim", "smoke", "--out", out, "--repo", Localnet.repositoryRoot.path], timeout: 240)
        let seconds = Date().timeIntervalSince(started)
        #expect(result.status == 0, "nodectl sim smoke failed: \(result.stderr.suffix(4000))\n\(result.text.suffix(3000))")
        #expect(seconds < 180, "smoke took \(Int(seconds)) s")

        let data = try #require(FileManager.default.contents(atPath: out + "/report.json"), "no report.json in \(out)")
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(report["passed"] as? Bool == true)
        #expect(Self.number(report["seed"]) == 12, "the scenario's seed")
        let checks = report["checks"] as? [[String: Any]] ?? []
        #expect(checks.count >= 20, "only \(checks.count) checks")
        for check in checks where check["passed"] as? Bool != true { Issue.record("check failed: \(check)") }
        #expect(checks.contains { $0["subject"] as? String == "lamports" })

        let players = report["players"] as? [[String: Any]] ?? []
        #expect(players.count == 6)
        for p in players {
            #expect(p["reachedEnd"] as? Bool == true, "\(p)")
            #expect((p["segments"] as? [Any])?.count == 10, "a 20-second VOD in 2-second segments: \(p)")
            #expect(Self.number(p["timeToFirstFrame"]) > 0, "\(p)")
        }
        let faults = report["faults"] as? [[String: Any]] ?? []
        #expect(Set(faults.compactMap { $0["action"] as? String }) == ["kill", "freeze"])
        let nodes = report["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.count == 10)
        #expect(nodes.filter { Self.number($0["restarts"]) == 1 }.count == 1, "one relay restarted")
        for n in nodes where n["role"] as? String == "viewer" { #expect(Self.number(n["spent"]) > 0, "\(n)") }
        #expect(nodes.contains { $0["role"] as? String == "relay" && Self.number($0["bytesServed"]) > 0 })
        for n in nodes {
            let usage = n["usage"] as? [String: Any] ?? [:]
            #expect(Self.number(usage["cpuSeconds"]) > 0 && Self.number(usage["peakMemoryBytes"]) > 1_000_000, "\(n["name"] ?? "?"): \(usage)")
        }

        let html = (try? String(contentsOfFile: out + "/report.html", encoding: .utf8)) ?? ""
        #expect(html.contains("<svg") && html.contains("PASSED"))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"), "the page loads nothing from elsewhere")
        #expect(result.stderr.contains("seed 12") && result.stderr.contains("viewers playing"), "progress lines")
        #expect(result.text.contains("report: \(out)/report.json"))
        #expect(!FileManager.default.fileExists(atPath: out + "/work"), "the daemons' data is removed after a success")
    }

    @Test("nodectl sim --list shows smoke; a bad scenario file is refused with its line and field")
    func listAndBadFile() throws {
        let list = try NodectlProcess.run(["sim", "--list", "--repo", Localnet.repositoryRoot.path])
        #expect(list.status == 0 && list.text.contains("smoke"), "\(list.stderr)")
        let scratch = try Scratch("sim-bad")
        let file = scratch.path + "/bad.sim"
        try "creator c\nrelay r count=2 bootstrap=c\nviewer v stream=c\nat 5 kil r restart-after=2\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try NodectlProcess.run(["sim", file, "--out", scratch.path + "/out", "--repo", Localnet.repositoryRoot.path])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("bad.sim line 4, field kil"), "\(bad.stderr)")
    }

    @Test("a run whose check fails exits 1, says which check and why, writes the report, and keeps the logs")
    func failingCheck() throws {
        let scratch = try Scratch("sim-fail")
        let file = scratch.path + "/short.sim"
        // A 10-second video watched in real time cannot end within a 4-second time limit.
        try """
        seed 3
        time-limit 4
        creator c kind=vod seconds=10 price-per-second=5000 price-per-chunk=2000
        relay r price-per-chunk=1000 bootstrap=c
        viewer v stream=c watch=end max-price-per-chunk=1500 bootstrap=r
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let out = scratch.path + "/out"
        let result = try NodectlProcess.run(["sim", file, "--out", out, "--repo", Localnet.repositoryRoot.path], timeout: 180)
        #expect(result.status == 1, "\(result.stderr.suffix(3000))")
        #expect(result.text.contains("FAILED v watching"), "\(result.text)")
        #expect(result.text.contains("did not reach the end: the time limit came"), "\(result.text)")
        let data = try #require(FileManager.default.contents(atPath: out + "/report.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(report["passed"] as? Bool == false)
        #expect(FileManager.default.fileExists(atPath: out + "/work/logs/v.log"), "the logs stay after a failure")
    }
}
