import HTTP1
import Testing

/// What Tether sends on is framed once and canonically, whatever the sender
/// wrote: each test names the RFC 9112 / RFC 9110 rule it enforces.
@Suite struct FramingRulesTests {
    func forward(_ raw: String) -> String { forwardRequest(raw, client: "10.0.0.1") }

    func relay(_ raw: String, method: HTTPMethod = .get, framing: MessageWriter.ClientFraming = .asIs, trailers: Bool = false) -> String {
        let bytes = Array(raw.utf8)
        var parser = ResponseParser()
        var head = ResponseHead()
        var out: [UInt8] = []
        bytes.withUnsafeBufferPointer { buf in
            guard case .complete = parser.parse(buf, start: 0, end: buf.count, requestMethod: method, into: &head) else {
                Issue.record("response did not parse")
                return
            }
            MessageWriter.appendResponseHead(buf, head, clientFraming: framing, keepAlive: true, clientVersion: .http11, trailers: trailers, into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    func occurrences(_ text: String, _ part: String) -> Int { text.ranges(of: part).count }

    // MARK: Content-Length (RFC 9112 §6.3)

    @Test func rfc9112_6_3_identicalContentLengthFieldsAreForwardedAsOne() {
        let out = forward("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n")
        #expect(occurrences(out.lowercased(), "content-length") == 1)
        #expect(out.contains("Content-Length: 5\r\n"))
    }

    @Test func rfc9112_6_3_contentLengthListOfIdenticalValuesIsForwardedAsOne() {
        let out = forward("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n")
        #expect(out.contains("Content-Length: 5\r\n"))
        #expect(!out.contains("5, 5"))
    }

    @Test func rfc9112_6_3_zeroContentLengthIsKept() {
        let out = forward("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(out.contains("Content-Length: 0\r\n"))
    }

    @Test func rfc9112_6_3_responseContentLengthDuplicatesAreRelayedAsOne() {
        let out = relay("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n")
        #expect(occurrences(out, "Content-Length") == 1)
        #expect(out.contains("Content-Length: 3\r\n"))
        let list = relay("HTTP/1.1 200 OK\r\nContent-Length: 3,3\r\n\r\n")
        #expect(list.contains("Content-Length: 3\r\n") && !list.contains("3,3"))
    }

    @Test func rfc9110_8_6_headResponseKeepsItsContentLength() {
        let out = relay("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Length: 1234\r\n\r\n", method: .head)
        #expect(out.contains("Content-Length: 1234\r\n"))
        #expect(occurrences(out, "Content-Length") == 1)
    }

    @Test func rfc9110_8_6_noContentLengthOn204() {
        let out = relay("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        #expect(!out.contains("Content-Length"))
    }

    @Test func rfc9112_6_1_rechunkedResponseCarriesNoContentLength() {
        let out = relay("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", framing: .chunked)
        #expect(out.contains("Transfer-Encoding: chunked\r\n"))
        #expect(!out.contains("Content-Length"))
    }

    // MARK: Request target and Host (RFC 9112 §3.2, RFC 9110 §7)

    @Test func rfc9112_3_2_2_absoluteFormIsSentAsOriginFormWithItsHost() {
        let out = forward("GET http://other.test/x?y=1 HTTP/1.1\r\nHost: shop.test\r\n\r\n")
        #expect(out.hasPrefix("GET /x?y=1 HTTP/1.1\r\n"))
        #expect(out.contains("Host: other.test\r\n"))
        #expect(out.contains("X-Forwarded-Host: other.test\r\n"))
        #expect(!out.contains("shop.test"))
    }

    @Test func rfc9112_3_2_2_absoluteFormWithEmptyPath() {
        #expect(forward("GET HTTP://a.test:8080 HTTP/1.1\r\nHost: a.test:8080\r\n\r\n").hasPrefix("GET / HTTP/1.1\r\n"))
        #expect(forward("GET https://a.test?q HTTP/1.1\r\nHost: a.test\r\n\r\n").hasPrefix("GET /?q HTTP/1.1\r\n"))
        // RFC 9112 §3.2.4: OPTIONS for the server as a whole.
        #expect(forward("OPTIONS http://a.test HTTP/1.1\r\nHost: a.test\r\n\r\n").hasPrefix("OPTIONS * HTTP/1.1\r\n"))
    }

    @Test func rfc9110_4_2_4_userinfoInTargetIsRefused() {
        #expect(parseRequest("GET http://u:p@a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n").0 == .failed(.invalidTarget))
    }

    @Test func rfc9112_3_2_2_absoluteFormOfOtherSchemesIsRefused() {
        #expect(parseRequest("GET ftp://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n").0 == .failed(.invalidTarget))
    }

    @Test func rfc9110_7_2_absoluteFormWithBadAuthorityIsRefused() {
        #expect(parseRequest("GET http://a.test:1:2/ HTTP/1.1\r\nHost: a.test\r\n\r\n").0 == .failed(.invalidHost))
        #expect(parseRequest("GET http:///x HTTP/1.1\r\nHost: a.test\r\n\r\n").0 == .failed(.invalidHost))
    }

    @Test(arguments: ["GET /a#frag HTTP/1.1", "GET /#", "GET http://a.test/#x HTTP/1.1"])
    func rfc9110_7_1_fragmentInTargetIsRefused(_ line: String) {
        let raw = (line.hasSuffix("HTTP/1.1") ? line : line + " HTTP/1.1") + "\r\nHost: a.test\r\n\r\n"
        #expect(parseRequest(raw).0 == .failed(.invalidTarget))
    }

    @Test(arguments: ["1.2.3.4:9000:80", "a.test:b", "a.test:123456", "[::1]x", "[::1", "a test", "a@b", "a/b"])
    func rfc9110_7_2_hostThatIsNotHostAndPortIsRefused(_ host: String) {
        #expect(parseRequest("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n").0 == .failed(.invalidHost))
    }

    @Test(arguments: ["a.test", "a.test:8080", "1.2.3.4:80", "[::1]:8080", "[2001:db8::1]", "a.test:", "xn--bcher-kva.example"])
    func rfc9110_7_2_hostAndPortAreAccepted(_ host: String) {
        let (status, head, bytes) = parseRequest("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
        guard case .complete = status, let h = head.host else {
            Issue.record("\(host) refused: \(status)")
            return
        }
        #expect(head.string(bytes, h) == host)
    }

    // MARK: Expect and TE (RFC 9110 §10.1.1, §10.1.4)

    @Test func rfc9110_10_1_1_expectationIsForwardedOnceInCanonicalForm() {
        let out = forward("PUT /u HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 9\r\n\r\n")
        #expect(out.contains("Expect: 100-continue\r\n"))
        #expect(occurrences(out.lowercased(), "expect:") == 1)
    }

    @Test func rfc9110_10_1_1_http10ExpectationIsIgnored() {
        let (_, head, _) = parseRequest("PUT /u HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n")
        #expect(!head.expectContinue)
        #expect(!forward("PUT /u HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n").lowercased().contains("expect"))
    }

    @Test func rfc9110_10_1_1_expectationWithoutContentIsNotForwarded() {
        #expect(!forward("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n").lowercased().contains("expect"))
    }

    @Test func rfc9110_10_1_4_teTrailersIsForwardedWithItsConnectionOption() {
        let out = forward("GET / HTTP/1.1\r\nHost: a\r\nTE: trailers, deflate;q=0.5\r\n\r\n")
        #expect(out.contains("TE: trailers\r\nConnection: TE\r\n"))
        #expect(!out.contains("deflate"))
        #expect(!forward("GET / HTTP/1.1\r\nHost: a\r\nTE: gzip\r\n\r\n").contains("TE:"))
    }

    @Test func rfc9110_6_6_2_trailerFieldGoesWithTrailers() {
        #expect(forward("POST / HTTP/1.1\r\nHost: a\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n").contains("Trailer: X-Sum\r\n"))
        #expect(!forward("POST / HTTP/1.1\r\nHost: a\r\nTrailer: X-Sum\r\nContent-Length: 1\r\n\r\n").contains("Trailer"))
        let raw = "HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(relay(raw, framing: .chunked, trailers: true).contains("Trailer: X-Sum\r\n"))
        #expect(!relay(raw, framing: .chunked, trailers: false).contains("Trailer"))
    }

    // MARK: Interim responses (RFC 9110 §15.2)

    @Test func rfc9110_15_2_interimHeadAfterAnotherIsParsedWhereverTheBytesLand() {
        // The proxy consumed a `100` and parses again with nothing buffered,
        // then the next head arrives at the front of the (emptied) buffer.
        var parser = ResponseParser()
        var head = ResponseHead()
        let first = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
        let firstStatus = first.withUnsafeBufferPointer { parser.parse($0, start: 0, end: $0.count, requestMethod: .post, into: &head) }
        #expect(firstStatus == .complete(headEnd: first.count))
        #expect(head.status == 100)
        let empty = first.withUnsafeBufferPointer { parser.parse($0, start: first.count, end: first.count, requestMethod: .post, into: &head) }
        #expect(empty == .needMore)
        let second = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
        let status = second.withUnsafeBufferPointer { parser.parse($0, start: 0, end: $0.count, requestMethod: .post, into: &head) }
        #expect(status == .complete(headEnd: second.count - 2))
        #expect(head.status == 200)
        #expect(head.framing == .length(2))
    }

    @Test func rfc9110_15_2_interimHeadCarriesItsOwnFieldsOnly() {
        let bytes = Array("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nContent-Length: 0\r\nConnection: x\r\n\r\n".utf8)
        var parser = ResponseParser()
        var head = ResponseHead()
        var out: [UInt8] = []
        bytes.withUnsafeBufferPointer { buf in
            _ = parser.parse(buf, start: 0, end: buf.count, requestMethod: .get, into: &head)
            MessageWriter.appendInterimHead(buf, head, into: &out)
        }
        #expect(String(decoding: out, as: UTF8.self) == "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
    }

    // MARK: Trailers (RFC 9112 §7.1.2)

    @Test(arguments: [1, 3, 1000])
    func rfc9112_7_1_2_trailerLinesComeBackWhateverTheDelivery(pieces: Int) {
        var trailers: [UInt8] = []
        let body = "3\r\nabc\r\n0\r\nX-Sum: 900150983cd24fb0\r\nX-N: 1\r\n\r\n"
        let result = withUnsafeMutablePointer(to: &trailers) { decodeChunked(body, pieces: pieces, trailers: $0) }
        guard case .success(let (data, end))? = result else {
            Issue.record("did not decode: \(String(describing: result))")
            return
        }
        #expect(data == "abc")
        #expect(end == body.utf8.count)
        #expect(String(decoding: trailers, as: UTF8.self) == "X-Sum: 900150983cd24fb0\r\nX-N: 1\r\n")
    }

    @Test(arguments: ["0\r\nX-A : b\r\n\r\n", "0\r\nNoColon\r\n\r\n", "0\r\n: v\r\n\r\n", "0\r\nX-A: b\nX: c\r\n\r\n", "0\r\n X-A: b\r\n\r\n"])
    func rfc9112_7_1_2_malformedTrailerLineIsRefused(_ body: String) {
        guard case .failure(.invalidChunk)? = decodeChunked(body) else {
            Issue.record("accepted \(body.debugDescription)")
            return
        }
    }
}
