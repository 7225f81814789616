import ClientAddress
import Testing

@Suite struct ProxyHeaderTests {
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    static func v2(command: UInt8 = 0x21, family: UInt8 = 0x11, body: [UInt8], length: Int? = nil) -> [UInt8] {
        let n = length ?? body.count
        return v2Signature + [command, family, UInt8(n >> 8), UInt8(n & 0xFF)] + body
    }
    static let tcp4Body: [UInt8] = [192, 0, 2, 1, 198, 51, 100, 1, 0xDC, 0x04, 0x01, 0xBB]

    func parse(_ bytes: [UInt8]) -> ProxyHeaderParser.Result {
        bytes.withUnsafeBufferPointer { ProxyHeaderParser.parse($0) }
    }
    func parse(_ text: String) -> ProxyHeaderParser.Result { parse(Array(text.utf8)) }

    @Test func v1CarriesTheClient() {
        guard case .complete(let h, 45) = parse("PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n") else { Issue.record("no"); return }
        #expect(h.version == 1)
        #expect(h.source?.address == IPAddress("192.0.2.1"))
        #expect(h.source?.port == 56324)
        #expect(h.destination?.port == 443)
        guard case .complete(let h6, _) = parse("PROXY TCP6 2001:db8::1 ::1 0 65535\r\n") else { Issue.record("no v6"); return }
        #expect(h6.source?.address == IPAddress("2001:db8::1"))
        #expect(h6.destination?.port == 65535)
        guard case .complete(let u, 26) = parse("PROXY UNKNOWN ignored...\r\nGET") else { Issue.record("no unknown"); return }
        #expect(u.source == nil)
    }

    @Test func v1MalformedCases() {
        let bad = [
            "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\n",  // LF without CR
            "PROXY TCP4 192.0.2.1 198.51.100.1 56324\r\n",  // a field missing
            "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443 9\r\n",  // one too many
            "PROXY TCP4  192.0.2.1 198.51.100.1 56324 443\r\n",  // two spaces
            "PROXY TCP4 2001:db8::1 ::1 1 2\r\n",  // family disagrees
            "PROXY TCP6 192.0.2.1 198.51.100.1 1 2\r\n",
            "PROXY TCP4 192.0.2.256 198.51.100.1 1 2\r\n",
            "PROXY TCP4 192.0.2.1 198.51.100.1 65536 2\r\n",
            "PROXY TCP4 192.0.2.1 198.51.100.1 080 2\r\n",  // leading zero
            "PROXY TCP4 192.0.2.1 198.51.100.1 +80 2\r\n",
            "PROXY UDP4 192.0.2.1 198.51.100.1 1 2\r\n",
            "PROXY tcp4 192.0.2.1 198.51.100.1 1 2\r\n",
            "PROXX TCP4 192.0.2.1 198.51.100.1 1 2\r\n",
            "GET / HTTP/1.1\r\n\r\n",  // a client that skipped the balancer
            "\u{16}\u{03}\u{01}",  // a TLS ClientHello
        ]
        for text in bad { #expect(parse(text) == .invalid(.malformed), "\(text.debugDescription)") }
    }

    @Test func v1TooLongIsOversizedAndShortIsIncomplete() {
        #expect(parse("PROXY TCP4 192.0.2.1") == .incomplete)
        #expect(parse("PRO") == .incomplete)
        #expect(parse("PROXY UNKNOWN " + String(repeating: "x", count: 100)) == .invalid(.oversized))
        #expect(parse("PROXY UNKNOWN " + String(repeating: "x", count: 92) + "\r\n") == .invalid(.oversized))  // 108 bytes
        guard case .complete = parse("PROXY UNKNOWN " + String(repeating: "x", count: 91) + "\r\n") else { Issue.record("107 bytes refused"); return }
    }

    @Test func v2CarriesTheClient() {
        guard case .complete(let h, 28) = parse(Self.v2(body: Self.tcp4Body) + Array("GET".utf8)) else { Issue.record("no"); return }
        #expect(h.version == 2)
        #expect(h.source?.address == IPAddress("192.0.2.1"))
        #expect(h.source?.port == 56324)
        #expect(h.destination?.address == IPAddress("198.51.100.1"))
        #expect(h.destination?.port == 443)
        let v6 = [UInt8](repeating: 0, count: 15) + [1] + [UInt8](repeating: 0, count: 15) + [2] + [0x30, 0x39, 0x00, 0x50]
        let tlv: [UInt8] = [0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x00]  // ALPN "h2", an empty NOOP
        guard case .complete(let h6, 60) = parse(Self.v2(family: 0x21, body: v6 + tlv)) else { Issue.record("no v6"); return }
        #expect(h6.source?.address == IPAddress("::1"))
        #expect(h6.source?.port == 12345)
        guard case .complete(let local, 16) = parse(Self.v2(command: 0x20, family: 0x00, body: [])) else { Issue.record("no local"); return }
        #expect(local.source == nil)
        guard case .complete(let unspec, _) = parse(Self.v2(family: 0x00, body: [])) else { Issue.record("no unspec"); return }
        #expect(unspec.source == nil)
        guard case .complete(let unix, 232) = parse(Self.v2(family: 0x31, body: [UInt8](repeating: 0x2F, count: 216))) else { Issue.record("no unix"); return }
        #expect(unix.source == nil)
    }

    @Test func v2MalformedTruncatedAndOversized() {
        #expect(parse(Self.v2(command: 0x11, body: Self.tcp4Body)) == .invalid(.malformed))  // version 1 in a v2 header
        #expect(parse(Self.v2(command: 0x22, body: Self.tcp4Body)) == .invalid(.malformed))  // command 2
        #expect(parse(Self.v2(family: 0x12, body: Self.tcp4Body)) == .invalid(.malformed))  // datagram
        #expect(parse(Self.v2(family: 0x41, body: Self.tcp4Body)) == .invalid(.malformed))  // family 4
        #expect(parse(Self.v2(body: Array(Self.tcp4Body.prefix(8)))) == .invalid(.malformed))  // block shorter than IPv4's
        #expect(parse(Self.v2(family: 0x21, body: Self.tcp4Body)) == .invalid(.malformed))  // shorter than IPv6's
        #expect(parse(Self.v2(body: Self.tcp4Body + [0x04, 0x00, 0x05, 0x00])) == .invalid(.malformed))  // TLV runs past the end
        #expect(parse(Self.v2(body: Self.tcp4Body + [0x04, 0x00])) == .invalid(.malformed))  // half a TLV
        var wrong = Self.v2(body: Self.tcp4Body)
        wrong[5] = 0x0E
        #expect(parse(wrong) == .invalid(.malformed))
        #expect(parse(Array(Self.v2(body: Self.tcp4Body).prefix(20))) == .incomplete)
        #expect(parse(Array(Self.v2Signature.prefix(7))) == .incomplete)
        #expect(parse(Self.v2(body: [], length: 2000)) == .invalid(.oversized))
    }

    @Test func theAccumulatorNeverTakesAByteOfTheRequest() {
        let wire = Self.v2(body: Self.tcp4Body) + Array("GET / HTTP/1.1\r\n\r\n".utf8)
        for step in 1...wire.count {
            var acc = ProxyHeaderAccumulator()
            var position = 0
            var outcome: ProxyHeaderParser.Result = .incomplete
            while case .incomplete = outcome {
                let (take, result) = wire[position..<min(wire.count, position + step)].withUnsafeBufferPointer { acc.offer($0) }
                position += take
                outcome = result
            }
            #expect(position == 28, "step \(step)")
            guard case .complete(_, 28) = outcome else { Issue.record("step \(step): \(outcome)"); return }
        }
        var v1 = ProxyHeaderAccumulator()
        let line = Array("PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\nGET /".utf8)
        let (take, result) = line.withUnsafeBufferPointer { v1.offer($0) }
        #expect(take == 34)
        guard case .complete(let h, 34) = result else { Issue.record("\(result)"); return }
        #expect(h.source?.address == IPAddress("10.0.0.1"))
    }
}
