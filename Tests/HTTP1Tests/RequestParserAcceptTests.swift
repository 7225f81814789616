import HTTP1
import Testing

/// Requests that must parse, with the framing the proxy must derive.
@Suite struct RequestParserAcceptTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let raw: String
        let framing: BodyFraming
        let keepAlive: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "RFC 9112 §3 simple GET", raw: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9112 §6.3 Content-Length body", raw: "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", framing: .length(5), keepAlive: true),
        Case(name: "RFC 9112 §6.3 Content-Length 0 is no body", raw: "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9112 §6.3 chunked", raw: "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", framing: .chunked, keepAlive: true),
        Case(name: "RFC 9112 §6.1 chunked case-insensitive", raw: "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", framing: .chunked, keepAlive: true),
        Case(name: "RFC 9110 §8.6 identical Content-Length repeated", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n", framing: .length(7), keepAlive: true),
        Case(name: "RFC 9110 §8.6 identical Content-Length list", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7, 7\r\n\r\n", framing: .length(7), keepAlive: true),
        Case(name: "RFC 9112 §9.3 HTTP/1.1 Connection close", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", framing: .none, keepAlive: false),
        Case(name: "RFC 9112 §9.3 HTTP/1.0 closes by default", raw: "GET / HTTP/1.0\r\n\r\n", framing: .none, keepAlive: false),
        Case(name: "RFC 9112 §9.3 HTTP/1.0 keep-alive", raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9112 §3.2 HTTP/1.0 without Host", raw: "GET / HTTP/1.0\r\n\r\n", framing: .none, keepAlive: false),
        Case(name: "RFC 9112 §2.2 leading empty line ignored", raw: "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9112 §3.2.2 absolute-form", raw: "GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9112 §3.2.4 asterisk-form OPTIONS", raw: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9110 §5.5 obs-text in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\u{e9}\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9110 §5.5 empty field value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9110 §5.5 HTAB in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-T: a\tb\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9110 §7.2 Host with port", raw: "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9110 §7.2 Host IPv6 literal", raw: "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9110 §9.1 extension method", raw: "PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9110 §10.1.1 Expect 100-continue", raw: "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", framing: .length(3), keepAlive: true),
        Case(name: "RFC 9112 §9.6 Connection with extra tokens", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Foo\r\nX-Foo: 1\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9112 §5 header name any case", raw: "GET / HTTP/1.1\r\nhOsT: a\r\n\r\n", framing: .none, keepAlive: true),
        Case(name: "RFC 9112 §5.1 no whitespace after colon", raw: "GET / HTTP/1.1\r\nHost:a\r\n\r\n", framing: .none, keepAlive: true),
    ]

    @Test(arguments: cases)
    func accepts(_ c: Case) {
        let (status, head, _) = parseRequest(c.raw)
        guard case .complete(let end) = status else {
            Issue.record("expected complete, got \(status)")
            return
        }
        #expect(end == c.raw.utf8.count)
        #expect(head.framing == c.framing)
        #expect(head.keepAlive == c.keepAlive)
    }

    @Test(arguments: cases)
    func acceptsByteByByte(_ c: Case) {
        let (status, head, _) = parseRequest(c.raw, byteByByte: true)
        #expect(status == .complete(headEnd: c.raw.utf8.count))
        #expect(head.framing == c.framing)
    }

    @Test func rangesPointAtTheBytes() {
        let (status, head, bytes) = parseRequest("POST /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nCookie: s=1\r\nContent-Length: 2\r\n\r\nhi")
        #expect(status == .complete(headEnd: bytes.count - 2))
        #expect(head.method == .post)
        #expect(head.string(bytes, head.target) == "/a/b?c=d")
        #expect(head.host.map { head.string(bytes, $0) } == "example.com")
        #expect(head.fields.count == 3)
        #expect(head.fields[1].known == .cookie)
        #expect(head.string(bytes, head.fields[1].value) == "s=1")
    }

    @Test func trailingWhitespaceIsTrimmedFromValues() {
        let (_, head, bytes) = parseRequest("GET / HTTP/1.1\r\nHost: a\r\nX-A:   v 1  \t\r\n\r\n")
        #expect(head.string(bytes, head.fields[1].value) == "v 1")
    }

    @Test func expectContinueIsReported() {
        let (_, head, _) = parseRequest("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n")
        #expect(head.expectContinue)
    }

    @Test func pipelinedRequestsParseOneAfterAnother() {
        let text = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
        let bytes = Array(text.utf8)
        var parser = RequestParser()
        var head = RequestHead()
        bytes.withUnsafeBufferPointer { buf in
            let first = parser.parse(buf, start: 0, end: bytes.count, into: &head)
            #expect(first == .complete(headEnd: 28))
            #expect(head.string(bytes, head.target) == "/1")
            let second = parser.parse(buf, start: 28, end: bytes.count, into: &head)
            #expect(second == .complete(headEnd: 56))
            #expect(head.string(bytes, head.target) == "/2")
        }
    }

    @Test func incompleteHeadNeedsMore() {
        let (status, _, _) = parseRequest("GET / HTTP/1.1\r\nHost: a\r\n")
        #expect(status == .needMore)
    }
}
