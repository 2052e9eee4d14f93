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

    @Test func missingFieldsTakeDefaults() throws {
        let c = try load(#"{"apiPort": 8123, "quotaBytes": 1000}"#)
        #expect(c.apiPort == 8123)
        #expect(c.quotaBytes == 1000)
        #expect(c.apiHost == "127.0.0.1")
        #expect(c.fetchAheadSegments == NodeConfig().fetchAheadSegments)
    }

    @Test func missingFileIsDefaults() throws {
        #expect(try NodeConfig.load(path: "/nonexistent/config.json") == NodeConfig())
    }

    @Test func badValuesSayWhichField() {
        for (json, field) in [(#"{"apiPort": 70000}"#, "apiPort"), (#"{"listen": "udp://x"}"#, "listen"),
                              (#"{"bootstrap": ["nope"]}"#, "bootstrap"), (#"{"requestTimeout": 0}"#, "requestTimeout"),
                              (#"{"apiPort": "x"}"#, "apiPort"), ("not json", "config.json")] {
            do {
                _ = try load(json)
                Issue.record("\(json) was accepted")
            } catch {
                #expect("\(error)".contains(field) || "\(error)".contains("valid config JSON"), "\(error)")
            }
        }
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
