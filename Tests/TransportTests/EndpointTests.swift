import Testing
import Transport

struct EndpointTests {
    @Test func parsesHostsAndPorts() throws {
        let v4 = try #require(Endpoint("tcp://10.77.0.1:4001"))
        #expect(v4.host == "10.77.0.1" && v4.port == 4001 && !v4.isIPv6 && !v4.isWildcard)
        let v6 = try #require(Endpoint("tcp://[2001:db8::1]:4001"))
        #expect(v6.host == "2001:db8::1" && v6.port == 4001 && v6.isIPv6)
        #expect(v6.description == "tcp://[2001:db8::1]:4001")
        #expect(Endpoint("tcp://node.example.org:4001")?.host == "node.example.org")
        #expect(Endpoint("tcp://0.0.0.0:4001")?.isWildcard == true)
        #expect(Endpoint("tcp://[::]:4001")?.isWildcard == true)
        #expect(Endpoint("tcp://*:4001")?.isWildcard == true)
    }

    @Test func refusesWhatIsNoEndpoint() {
        for text in ["udp://1.2.3.4:5", "tcp://1.2.3.4", "tcp://:80", "tcp://1.2.3.4:99999", "tcp://[::1:80",
                     "tcp://::1:80", "tcp://host:port", ""] {
            #expect(Endpoint(text) == nil, "\(text)")
        }
    }

    @Test func aWildcardIsNeverAdvertised() throws {
        let addresses = Endpoint.interfaceAddresses()
        #expect(addresses.contains("127.0.0.1"), "loopback is up on every machine: \(addresses)")
        let advertised = Endpoint.advertised(bound: "tcp://0.0.0.0:4100", configured: [])
        #expect(!advertised.isEmpty)
        for text in advertised {
            let e = try #require(Endpoint(text))
            #expect(!e.isWildcard && e.port == 4100 && !e.isIPv6, "\(text)")
        }
        // Routable addresses first, loopback last: peers on other hosts dial the first.
        #expect(Endpoint(advertised.last ?? "")?.isLoopback == true)
        let dual = Endpoint.advertised(bound: "tcp://[::]:4100", configured: [])
        #expect(dual.allSatisfy { Endpoint($0).map { !$0.isWildcard } ?? false })
    }

    @Test func configuredAndBoundEndpointsWin() {
        #expect(Endpoint.advertised(bound: "tcp://0.0.0.0:4100", configured: ["tcp://203.0.113.5:4001"])
                == ["tcp://203.0.113.5:4001"])
        #expect(Endpoint.advertised(bound: "tcp://127.0.0.1:4100", configured: []) == ["tcp://127.0.0.1:4100"])
    }
}
