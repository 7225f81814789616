import ClientAddress
import Testing

@Suite struct NetworkTests {
    func network(_ text: String) -> Network {
        guard case .success(let n) = Network.parse(text) else { Issue.record("\(text) did not parse"); return try! Network.parse("::/0").get() }
        return n
    }

    @Test func ipv4BlocksHoldTheirAddressesAndMappedOnes() {
        let n = network("10.1.0.0/16")
        #expect(n.contains(IPAddress("10.1.255.7")!))
        #expect(!n.contains(IPAddress("10.2.0.1")!))
        #expect(n.contains(IPAddress("::ffff:10.1.2.3")!))  // a dual-stack socket's view of an IPv4 client
        #expect(!n.contains(IPAddress("2001:db8::1")!))
        #expect(network("0.0.0.0/0").contains(IPAddress("203.0.113.9")!))
        #expect(!network("0.0.0.0/0").contains(IPAddress("::1")!))
        #expect(network("127.0.0.1").contains(IPAddress("127.0.0.1")!))
        #expect(!network("127.0.0.1").contains(IPAddress("127.0.0.2")!))
    }

    @Test func ipv6Blocks() {
        #expect(network("2001:db8::/32").contains(IPAddress("2001:db8:ffff::1")!))
        #expect(!network("2001:db8::/32").contains(IPAddress("2001:db9::1")!))
        #expect(network("::/0").contains(IPAddress("10.0.0.1")!))
        #expect(network("fe80::/65").contains(IPAddress("fe80::7fff:ffff:ffff:ffff")!))
        #expect(!network("fe80::/65").contains(IPAddress("fe80::8000:0:0:0")!))
        #expect(network("::1/128").contains(IPAddress("::1")!))
    }

    @Test func badBlocksSayWhy() {
        let cases: [(String, String)] = [
            ("10.0.0.0/33", "prefix \"33\" is not 0–32"),
            ("10.0.0.1/8", "host bits are set (the network is 10.0.0.0/8)"),
            ("10.0.0/8", "\"10.0.0\" is not an IPv4 or IPv6 address"),
            ("example.com", "\"example.com\" is not an IPv4 or IPv6 address"),
            ("::/129", "prefix \"129\" is not 0–128"),
            ("10.0.0.0/-1", "prefix \"-1\" is not 0–32"),
            ("10.0.0.0/", "prefix \"\" is not 0–32"),
        ]
        for (text, reason) in cases {
            guard case .failure(let e) = Network.parse(text) else { Issue.record("\(text) parsed"); continue }
            #expect(e.reason == reason, "\(text)")
        }
        guard case .failure(let e) = [Network].parseList("10.0.0.0/8,,::1") else { Issue.record("empty entry parsed"); return }
        #expect(e.text == "")
    }

    @Test func textForms() {
        #expect(IPAddress("192.0.2.1")!.description == "192.0.2.1")
        #expect(IPAddress("2001:DB8:0:0::1")!.description == "2001:db8::1")
        #expect(IPAddress("::ffff:192.0.2.1")!.description == "192.0.2.1")
        #expect(IPAddress("01.2.3.4") == nil)
        #expect(IPAddress("[::1]") == nil)
    }
}
