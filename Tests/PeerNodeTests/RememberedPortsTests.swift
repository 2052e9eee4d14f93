import Foundation
import TestSupport
import Testing
@testable import PeerNode

struct RememberedPortsTests {
    func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "ports-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func portZeroTakesTheRememberedPortAndAnExplicitPortWins() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try RememberedPorts.load(dataDirectory: dir) == RememberedPorts())
        // A port that was free a moment ago, as the system chose it on the first start.
        let port = try TCPListener().port   // closed again at once
        var configured = NodeConfig()
        configured.exchangeListen = "tcp://127.0.0.1:4999"
        let chosen = RememberedPorts.chosen(configured: configured, gossipEndpoint: "tcp://127.0.0.1:\(port)",
                                            exchangeEndpoint: "tcp://127.0.0.1:4999")
        #expect(chosen == RememberedPorts(gossip: port, exchange: nil))
        try chosen.save(dataDirectory: dir)
        let next = try RememberedPorts.load(dataDirectory: dir).applied(to: configured, dataDirectory: dir)
        #expect(next.listen == "tcp://127.0.0.1:\(port)")
        #expect(next.exchangeListen == "tcp://127.0.0.1:4999")
        // A port written in config.json is used as written, whatever was remembered.
        configured.listen = "tcp://127.0.0.1:5000"
        #expect(try RememberedPorts(gossip: port, exchange: port).applied(to: configured, dataDirectory: dir).listen
                == "tcp://127.0.0.1:5000")
    }

    @Test func aTakenRememberedPortIsRefusedSayingWhatToDo() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let holder = try TCPListener()
        defer { holder.close() }
        let port = holder.port
        do {
            _ = try RememberedPorts(gossip: port).applied(to: NodeConfig(), dataDirectory: dir)
            Issue.record("a taken port was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("gossip port 127.0.0.1:\(port) is taken"), "\(message)")
            #expect(message.contains(dir + "/ports.json") && message.contains("set listen in config.json"), "\(message)")
        }
    }

    @Test func aDamagedPortsFileSaysToDeleteIt() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for text in ["{\"gossip\": \"x\"}", "{\"gossip\": 70000}", "garbage"] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/ports.json"))
            do {
                _ = try RememberedPorts.load(dataDirectory: dir)
                Issue.record("\(text) was accepted")
            } catch {
                #expect("\(error)".contains("delete it"), "\(error)")
            }
        }
    }
}
