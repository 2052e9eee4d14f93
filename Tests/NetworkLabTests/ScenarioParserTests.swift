@testable import NetworkLab
import Testing

/// The scenario format (docs/simulation.md): a good file reads as written,
/// and a bad one is refused with its line and field named.
struct ScenarioParserTests {
    static let good = """
    # a comment line
    seed 7
    time-limit 90
    creator studio kind=vod seconds=20 price-per-second=5000 price-per-chunk=2_000
    relay relay count=2 price-per-chunk=1000 quota=256MiB bootstrap=studio   # trailing comment
    viewer fan count=3 stream=studio join=1..5 watch=end max-price-per-chunk=1500 cap=10000000 bootstrap=relay
    viewer late stream=studio join=10 watch=6 bootstrap=relay,studio
    at 8 kill relay restart-after=3
    at 12.5 freeze fan-2 for=4
    """

    func parse(_ text: String) throws -> Scenario { try ScenarioParser(file: "test.sim").parse(text) }

    /// The error a bad file gets; fails the test when it parses.
    func refusal(_ text: String) -> ScenarioError? {
        do {
            _ = try parse(text)
            Issue.record("parsed, but should have been refused:\n\(text)")
            return nil
        } catch let e as ScenarioError {
            return e
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("a good file reads as written")
    func good() throws {
        let s = try parse(Self.good)
        #expect(s.seed == 7 && s.timeLimit == 90)
        #expect(s.groups.map(\.name) == ["studio", "relay", "fan", "late"])
        let relay = s.groups[1], fan = s.groups[2], late = s.groups[3]
        #expect(s.groups[0].pricePerChunk == 2_000 && s.groups[0].pricePerSecond == 5_000 && s.groups[0].seconds == 20)
        #expect(relay.count == 2 && relay.quotaBytes == 256 << 20 && relay.bootstrap == ["studio"])
        #expect(relay.nodeNames == ["relay-1", "relay-2"])
        #expect(fan.joinFrom == 1 && fan.joinTo == 5 && fan.watchSeconds == nil && fan.maxPricePerChunk == 1_500 && fan.spendingCap == 10_000_000)
        #expect(late.nodeNames == ["late"] && late.watchSeconds == 6 && late.bootstrap == ["relay", "studio"])
        #expect(s.faults == [Scenario.Fault(at: 8, action: .kill(restartAfter: 3), target: "relay", line: 8),
                             Scenario.Fault(at: 12.5, action: .freeze(seconds: 4), target: "fan-2", line: 9)])
    }

    @Test("an unknown field: its line and name, and the fields there are")
    func unknownField() {
        let e = refusal("creator c kind=vod\nrelay r price-per-chnk=5 bootstrap=c\nviewer v stream=c")
        #expect(e?.line == 2 && e?.field == "price-per-chnk")
        #expect(e?.description.contains("price-per-chunk") == true, "\(String(describing: e))")
    }

    @Test("network conditions on any role: delay, rates and loss as written; impossible ones named")
    func conditions() throws {
        let s = try parse("""
        creator c uplink=1MB
        relay slow latency=60ms uplink=200KB downlink=1MiB bootstrap=c
        viewer v stream=c loss=2% latency=0.01 bootstrap=slow
        """)
        #expect(s.groups[0].uplink == 1_000_000 && s.groups[0].latency == 0 && s.groups[0].loss == 0)
        #expect(s.groups[1].latency == 0.06 && s.groups[1].uplink == 200_000 && s.groups[1].downlink == 1 << 20)
        #expect(s.groups[2].loss == 0.02 && s.groups[2].latency == 0.01 && s.groups[2].uplink == nil)
        for (text, field) in [("creator c loss=1\nviewer v stream=c", "loss"), ("creator c latency=fast\nviewer v stream=c", "latency"),
                              ("creator c uplink=10\nviewer v stream=c", "uplink"), ("creator c latency=11s\nviewer v stream=c", "latency")] {
            let e = refusal(text)
            #expect(e?.line == 1 && e?.field == field, "\(text): \(String(describing: e))")
        }
    }

    @Test("a bad number: the line, the field and the value")
    func badNumber() {
        let e = refusal("creator c kind=vod seconds=twenty\nviewer v stream=c")
        #expect(e?.line == 1 && e?.field == "seconds" && e?.message.contains("twenty") == true, "\(String(describing: e))")
        let negative = refusal("creator c\nviewer v stream=c count=-3")
        #expect(negative?.line == 2 && negative?.field == "count")
        let size = refusal("creator c quota=12 MiB\nviewer v stream=c")
        #expect(size?.line == 1 && size?.field == "MiB", "\(String(describing: size))")
    }

    @Test("a missing role: the file has no viewer (or no creator)")
    func missingRole() {
        let e = refusal("seed 3\ncreator c kind=vod")
        #expect(e?.line == 0 && e?.field == "viewer", "\(String(describing: e))")
        let noCreator = refusal("relay r\n")
        #expect(noCreator?.field == "creator")
    }

    @Test("a typo in a fault: the kind, a field, or a target that is not a node")
    func faultTypos() {
        let base = "creator c\nrelay r count=2 bootstrap=c\nviewer v stream=c bootstrap=r\n"
        let kind = refusal(base + "at 5 kil r restart-after=2")
        #expect(kind?.line == 4 && kind?.field == "kil" && kind?.message.contains("freeze, kill") == true, "\(String(describing: kind))")
        let field = refusal(base + "at 5 freeze r-1 seconds=2")
        #expect(field?.line == 4 && field?.field == "seconds")
        let missing = refusal(base + "at 5 kill r")
        #expect(missing?.line == 4 && missing?.field == "restart-after")
        let target = refusal(base + "at 5 freeze r-3 for=2")
        #expect(target?.line == 4 && target?.field == "target" && target?.message.contains("r-3") == true)
        let time = refusal(base + "at soon freeze r-1 for=2")
        #expect(time?.line == 4 && time?.field == "at")
    }

    @Test("names: unknown statements, bootstraps and streams that name nothing, a name used twice")
    func names() {
        #expect(refusal("creatr c\nviewer v stream=c")?.field == "creatr")
        let stream = refusal("creator c\nviewer v stream=d")
        #expect(stream?.line == 2 && stream?.field == "stream")
        let boot = refusal("creator c\nviewer v stream=c bootstrap=nobody")
        #expect(boot?.line == 2 && boot?.field == "bootstrap")
        let twice = refusal("creator c\nrelay r count=2\nrelay r-1\nviewer v stream=c")
        #expect(twice?.line == 3 && twice?.field == "name")
    }

    @Test("the plan: the same seed gives the same choices; another seed may not")
    func plan() throws {
        let s = try parse(Self.good)
        let a = try SimPlan(s, seed: 7), b = try SimPlan(s, seed: 7)
        #expect(a == b)
        #expect(a.nodes.map(\.name) == ["studio", "relay-1", "relay-2", "fan-1", "fan-2", "fan-3", "late"])
        for n in a.nodes where n.group.role == .viewer && n.name.hasPrefix("fan") {
            #expect(n.joinAt >= 1 && n.joinAt <= 5)
            #expect(n.bootstrap.count == 1 && n.bootstrap[0].hasPrefix("relay-"))
        }
        #expect(a.faults.first?.node.hasPrefix("relay-") == true)
        // Over a few seeds the choices differ (join times are drawn from a continuous range).
        let others = try (8...12).map { try SimPlan(s, seed: UInt64($0)).nodes.map(\.joinAt) }
        #expect(others.contains { $0 != a.nodes.map(\.joinAt) })
    }

    @Test("a group cannot bootstrap from a later role")
    func bootstrapOrder() throws {
        let s = try parse("creator c bootstrap=v\nviewer v stream=c")
        #expect(throws: ScenarioError.self) { try SimPlan(s, seed: 1) }
    }

    @Test("two faults that overlap on one node are refused, naming the later one's line")
    func overlappingFaults() throws {
        let s = try parse("creator c\nrelay r bootstrap=c\nviewer v stream=c bootstrap=r\nat 5 freeze r for=8\nat 9 kill r restart-after=2\n")
        do {
            _ = try SimPlan(s, seed: 1, file: "x.sim")
            Issue.record("the plan took two faults that overlap on r")
        } catch let e as ScenarioError {
            #expect(e.line == 5 && e.field == "at" && e.file == "x.sim" && e.message.contains("line 4"), "\(e)")
        }
        let apart = try parse("creator c\nrelay r bootstrap=c\nviewer v stream=c bootstrap=r\nat 5 freeze r for=3\nat 9 kill r restart-after=2\n")
        #expect(try SimPlan(apart, seed: 1).faults.map(\.line) == [4, 5])
    }
}
