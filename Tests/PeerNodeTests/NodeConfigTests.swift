import Foundation
import Identity
import PayChannel
import Testing
@testable import PeerNode

struct NodeConfigTests {
    func load(_ json: String) throws -> NodeConfig {
        let path = NSTemporaryDirectory() + "config-\(UUID().uuidString).json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try NodeConfig.load(path: path)
    }

    @Test func simulatedConditionsReachTheTransportAsWritten() throws {
        let config = try JSONDecoder().decode(NodeConfig.self, from: Data(#"{"simulatedLatency": 0.04, "simulatedUplink": 2000000, "simulatedLoss": 0.03}"#.utf8))
        let link = try #require(config.simulatedLink(seed: 9))
        #expect(link.latency == 0.04 && link.uplink == 2_000_000 && link.downlink == nil && link.loss == 0.03 && link.seed == 9)
        #expect(link.problem == nil)
        #expect(NodeConfig().simulatedLink(seed: 9) == nil, "no conditions unless asked for")
    }

    @Test func missingFieldsTakeDefaults() throws {
        let c = try load(#"{"apiPort": 8123, "quotaBytes": 1000}"#)
        #expect(c.apiPort == 8123)
        #expect(c.quotaBytes == 1000)
        #expect(c.minFreeBytes == 4 << 20)
        #expect(try load(#"{"minFreeBytes": 1048576}"#).minFreeBytes == 1 << 20)
        #expect(c.apiHost == "127.0.0.1")
        #expect(c.fetchAheadSegments == NodeConfig().fetchAheadSegments)
    }

    @Test func missingFileIsDefaults() throws {
        #expect(try NodeConfig.load(path: "/nonexistent/config.json") == NodeConfig())
    }

    /// The message `json` is refused with.
    func refusal(_ json: String) -> String {
        do {
            _ = try load(json)
            Issue.record("\(json) was accepted")
            return ""
        } catch { return "\(error)" }
    }

    /// Words of Swift's decoder that mean nothing to someone editing config.json.
    static let jargon = ["DecodingError", "CodingKeys", "codingPath", "typeMismatch", "dataCorrupted", "debugDescription",
                         "Swift.", "given data"]

    @Test func misspelledFieldsAreRefusedWithTheNearestKnownOne() {
        let message = refusal(#"{"spendingCapPerStrem": 5000, "apiPort": 0}"#)
        #expect(message.contains(#"unknown field "spendingCapPerStrem" (did you mean "spendingCapPerStream"?)"#), "\(message)")
        #expect(message.contains("config-"), "names the file: \(message)")
        #expect(message.contains("docs/http-api.md"), "\(message)")
        let cased = refusal(#"{"apiport": 7390}"#)
        #expect(cased.contains(#"did you mean "apiPort"?"#), "\(cased)")
        let both = refusal(#"{"quota": 1, "zzzzzz": 2}"#)
        #expect(both.contains(#"unknown fields "quota" (did you mean "quotaBytes"?), "zzzzzz"; "#), "\(both)")
    }

    @Test func everyBadValueNamesItsFieldAndTheRule() {
        let address = KeyPair.generate().address.base58
        let cases: [(String, String)] = [
            (#"{"spendingCapPerStream": -5}"#, "spendingCapPerStream: must be a whole number, 0 or more; got -5"),
            (#"{"quotaBytes": 1.5}"#, "quotaBytes: must be a whole number, 0 or more; got 1.5"),
            (#"{"apiPort": "x"}"#, #"apiPort: must be a whole number; got the text "x""#),
            (#"{"fetchAheadSegments": 2.5}"#, "fetchAheadSegments: must be a whole number; got 2.5"),
            (#"{"requestTimeout": "4"}"#, #"requestTimeout: must be a number; got the text "4""#),
            (#"{"bootstrap": "x@tcp://h:1"}"#, #"bootstrap: must be a list of text in double quotes, like ["..."]; got the text "x@tcp://h:1""#),
            (#"{"listen": 4000}"#, "listen: must be text in double quotes; got 4000"),
            (#"{"faultNeverPay": "yes"}"#, #"faultNeverPay: must be true or false (without quotes); got the text "yes""#),
            (#"{"channelLifetime": [1]}"#, "channelLifetime: must be a whole number; got a list"),
            (#"{"logLevel": "verbose"}"#, #"logLevel: must be one of trace, debug, info, notice, warning, error, critical; got "verbose""#),
            (#"{"apiPort": 70000}"#, "apiPort: must be 0 to 65535 (0: any free port); got 70000"),
            (#"{"requestTimeout": 0}"#, "requestTimeout: must be above 0 and at most 600 (seconds); got 0"),
            (#"{"listen": "udp://x:1"}"#, #"listen: must be tcp://HOST:PORT"#),
            (#"{"exchangeListen": "tcp://127.0.0.1"}"#, #"exchangeListen: must be tcp://HOST:PORT"#),
            (#"{"advertise": ["tcp://1.2.3.4:0"]}"#, "advertise: each entry must be tcp://HOST:PORT with a fixed port from 1 to 65535"),
            (#"{"bootstrap": ["nope"]}"#, #"bootstrap: each entry must be ADDRESS@tcp://HOST:PORT"#),
            ("{\"bootstrap\": [\"\(address)@tcp://127.0.0.1:0\"]}", "with a port from 1 to 65535"),
            (#"{"bootstrap": ["0OIl@tcp://127.0.0.1:4000"]}"#, "is not a node address"),
            (#"{"programId": "0OIl"}"#, "programId: must be the program's address"),
            (#"{"simulatedLatency": -0.1}"#, "simulatedLatency: must be 0 to 10 (seconds, one way); got -0.1"),
            (#"{"simulatedUplink": 10}"#, "simulatedUplink: must be at least 1000 (bytes per second) or null; got 10"),
            (#"{"simulatedLoss": 1}"#, "simulatedLoss: must be from 0 up to (not including) 1; got 1"),
        ]
        for (json, expected) in cases {
            let message = refusal(json)
            #expect(message.contains(expected), "\(json): \(message)")
            for word in Self.jargon { #expect(!message.contains(word), "\(json): \(message)") }
        }
    }

    @Test func advertisedEndpointsMustBeDialable() throws {
        for (json, why) in [(#"{"advertise": ["tcp://0.0.0.0:4001"]}"#, "wildcard"),
                            (#"{"exchangeAdvertise": ["tcp://[::]:4002"]}"#, "wildcard"),
                            (#"{"advertise": ["tcp://203.0.113.5:0"]}"#, "fixed port"),
                            (#"{"exchangeAdvertise": ["10.0.0.1:4002"]}"#, "tcp://HOST:PORT")] {
            do {
                _ = try load(json)
                Issue.record("\(json) was accepted")
            } catch {
                #expect("\(error)".contains(why) && "\(error)".contains("dvertise"), "\(error)")
            }
        }
        let ok = try load(#"{"advertise": ["tcp://node.example.org:4001"], "exchangeAdvertise": ["tcp://[2001:db8::1]:4002"]}"#)
        #expect(ok.advertise == ["tcp://node.example.org:4001"] && ok.exchangeAdvertise == ["tcp://[2001:db8::1]:4002"])
    }

    @Test func brokenJSONSaysWhereAndWhatTheFileMustHold() {
        for json in ["not json", "{apiPort: 1}", "{\"apiPort\": 1\n \"quotaBytes\": 2}", ""] {
            let message = refusal(json)
            #expect(message.contains("is not valid JSON") && message.contains("config-") && message.contains(#"{"apiPort": 7390"#),
                    "\(json): \(message)")
            for word in Self.jargon { #expect(!message.contains(word), "\(json): \(message)") }
        }
        #expect(refusal("{\"apiPort\": 1\n \"quotaBytes\": 2}").contains("at line 2, column 2"))
        #expect(refusal("[1, 2]").contains("must hold one JSON object"))
    }

    @Test func knownFieldsAreEveryProperty() throws {
        let properties = Set(Mirror(reflecting: NodeConfig()).children.compactMap(\.label))
        #expect(properties == Set(NodeConfig.CodingKeys.allCases.map(\.rawValue)))
        // What the daemon writes on first start (and the demo writes) loads back the same.
        var c = NodeConfig()
        c.quotaBytes = 5
        c.advertise = ["tcp://203.0.113.7:4000"]
        c.exchangeAdvertise = ["tcp://203.0.113.7:4001"]
        c.logLevel = "warning"
        c.spendingCapPerStream = 9
        let path = NSTemporaryDirectory() + "config-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try c.save(path: path)
        #expect(try NodeConfig.load(path: path) == c)
    }

    @Test func nullTakesTheDefault() throws {
        let c = try load(#"{"quotaBytes": null, "logLevel": null, "advertise": ["tcp://198.51.100.1:4000"]}"#)
        #expect(c.quotaBytes == nil && c.logLevel == "info")
        #expect(c.advertise == ["tcp://198.51.100.1:4000"] && c.exchangeAdvertise == [])
    }

    @Test func lockRefusesASecondHolder() throws {
        let dir = NSTemporaryDirectory() + "lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try DataLock(directory: dir)
        #expect(throws: PeerNodeError.self) { try DataLock(directory: dir) }
        withExtendedLifetime(first) {}
    }
}

struct PaymentConfigTests {
    @Test func chargingWithoutAProgramIsRefusedByName() {
        var c = NodeConfig()
        c.pricePerChunk = 10
        #expect(throws: PeerNodeError.self) { try c.validate() }
        do { try c.validate() } catch { #expect("\(error)".contains("programId")) }
        c.pricePerChunk = 0
        c.pricePerSecond = 5
        #expect(throws: PeerNodeError.self) { try c.validate() }
    }

    @Test func paymentSettingsComeFromConfig() throws {
        var c = NodeConfig()
        #expect(try c.paymentSettings() == nil)
        c.programId = "not base58 0OIl"
        #expect(throws: PeerNodeError.self) { try c.validate() }
        c.programId = KeyPair.generate().address.base58
        c.paymentThreshold = 10
        c.disconnectThreshold = 5
        do { try c.validate(); Issue.record("disconnect below payment threshold was accepted") } catch {
            #expect("\(error)".contains("disconnectThreshold"), "\(error)")
        }
        c.disconnectThreshold = 30
        c.maxPricePerChunk = 7
        c.spendingCapPerStream = 1000
        let s = try #require(try c.paymentSettings())
        #expect(s.payment.accounting.paymentThreshold == 10 && s.payment.accounting.disconnectThreshold == 30)
        #expect(s.limits.maxPricePerChunk == 7 && s.limits.spendingCapPerStream == 1000)
        #expect(s.chain.programId?.base58 == c.programId)
        #expect(s.payment.programTrust == ProgramTrust())   // this tree's build, final
    }

    @Test func trustedUpgradeAuthoritiesComeFromConfig() throws {
        let authority = KeyPair.generate().address
        let c = try JSONDecoder().decode(NodeConfig.self, from: Data("""
            {"programId": "\(KeyPair.generate().address.base58)", "trustedUpgradeAuthorities": ["\(authority.base58)"]}
            """.utf8))
        let s = try #require(try c.paymentSettings())
        #expect(s.payment.programTrust.trustedUpgradeAuthorities == [authority])
        var bad = c
        bad.trustedUpgradeAuthorities = ["not base58 0OIl"]
        do { try bad.validate(); Issue.record("a bad authority was accepted") } catch {
            #expect("\(error)".contains("trustedUpgradeAuthorities"), "\(error)")
        }
    }
}
