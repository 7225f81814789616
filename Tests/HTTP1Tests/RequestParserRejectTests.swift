import HTTP1
import Testing

/// Requests that must be refused before any byte is forwarded. Most are
/// request-smuggling patterns; each names the rule it enforces.
@Suite struct RequestParserRejectTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let raw: String
        let error: HTTPParseError
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // Framing ambiguity (RFC 9112 §6.1, §6.3)
        Case(name: "RFC 9112 §6.3 CL and TE both (CL.TE)", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", error: .contentLengthWithTransferEncoding),
        Case(name: "RFC 9112 §6.3 TE and CL both (TE.CL)", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", error: .contentLengthWithTransferEncoding),
        Case(name: "RFC 9112 §6.3 differing Content-Length fields", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", error: .invalidContentLength),
        Case(name: "RFC 9112 §6.3 differing Content-Length list", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 5\r\n\r\n", error: .invalidContentLength),
        Case(name: "RFC 9110 §8.6 Content-Length with sign", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +4\r\n\r\n", error: .invalidContentLength),
        Case(name: "RFC 9110 §8.6 negative Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", error: .invalidContentLength),
        Case(name: "RFC 9110 §8.6 hex Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", error: .invalidContentLength),
        Case(name: "RFC 9110 §8.6 Content-Length with inner space", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n", error: .invalidContentLength),
        Case(name: "RFC 9110 §8.6 empty Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", error: .invalidContentLength),
        Case(name: "RFC 9110 §8.6 Content-Length overflow", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", error: .invalidContentLength),
        Case(name: "RFC 9110 §8.6 Content-Length empty list element", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4,\r\n\r\n", error: .invalidContentLength),
        Case(name: "RFC 9112 §6.1 final coding not chunked", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", error: .invalidTransferEncoding),
        Case(name: "RFC 9112 §6.1 identity only", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", error: .invalidTransferEncoding),
        Case(name: "RFC 9112 §6.1 chunked twice", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", error: .invalidTransferEncoding),
        Case(name: "RFC 9112 §6.1 chunked in two fields", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", error: .invalidTransferEncoding),
        Case(name: "RFC 9112 §6.1 chunked then gzip in two fields", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", error: .invalidTransferEncoding),
        Case(name: "RFC 9112 §6.1 misspelt chunked", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunkd\r\n\r\n", error: .invalidTransferEncoding),
        Case(name: "RFC 9112 §6.1 chunked with trailing garbage", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked x\r\n\r\n", error: .invalidTransferEncoding),
        Case(name: "RFC 9112 §6.1 empty Transfer-Encoding", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", error: .invalidTransferEncoding),
        Case(name: "RFC 9112 §6.1 unknown coding before chunked is 501", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", error: .unsupportedTransferCoding),
        Case(name: "RFC 9112 §6.1 Transfer-Encoding in HTTP/1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", error: .invalidTransferEncoding),
        Case(name: "RFC 9112 §6.1 vertical tab in Transfer-Encoding", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \u{0B}chunked\r\n\r\n", error: .invalidFieldValue),
        // Field syntax (RFC 9112 §5)
        Case(name: "RFC 9112 §5.1 space before colon", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n", error: .whitespaceBeforeColon),
        Case(name: "RFC 9112 §5.1 tab before colon", raw: "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", error: .whitespaceBeforeColon),
        Case(name: "RFC 9112 §5.2 obs-fold with space", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", error: .obsoleteLineFolding),
        Case(name: "RFC 9112 §5.2 obs-fold with tab", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", error: .obsoleteLineFolding),
        Case(name: "RFC 9112 §5.2 fold hiding Transfer-Encoding", raw: "POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n", error: .obsoleteLineFolding),
        Case(name: "RFC 9110 §5.1 empty field name", raw: "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", error: .invalidFieldName),
        Case(name: "RFC 9110 §5.1 line without colon", raw: "GET / HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n", error: .invalidFieldName),
        Case(name: "RFC 9110 §5.1 non-token in name", raw: "GET / HTTP/1.1\r\nHost: a\r\nX(A): v\r\n\r\n", error: .invalidFieldName),
        Case(name: "RFC 9110 §5.1 NUL in name", raw: "GET / HTTP/1.1\r\nHost: a\r\nX\u{0}A: v\r\n\r\n", error: .invalidFieldName),
        Case(name: "RFC 9110 §5.1 UTF-8 in name", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-\u{e9}: v\r\n\r\n", error: .invalidFieldName),
        Case(name: "RFC 9110 §5.5 NUL in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{0}b\r\n\r\n", error: .invalidFieldValue),
        Case(name: "RFC 9110 §5.5 DEL in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{7F}b\r\n\r\n", error: .invalidFieldValue),
        Case(name: "RFC 9110 §5.5 escape in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{1B}b\r\n\r\n", error: .invalidFieldValue),
        Case(name: "RFC 9110 §5.5 form feed in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{0C}b\r\n\r\n", error: .invalidFieldValue),
        // Line endings (RFC 9112 §2.2)
        Case(name: "RFC 9112 §2.2 bare LF ends request line", raw: "GET / HTTP/1.1\nHost: a\r\n\r\n", error: .bareLineEnding),
        Case(name: "RFC 9112 §2.2 bare LF ends field", raw: "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", error: .bareLineEnding),
        Case(name: "RFC 9112 §2.2 bare LF ends head", raw: "GET / HTTP/1.1\r\nHost: a\r\n\n", error: .bareLineEnding),
        Case(name: "RFC 9112 §2.2 bare CR inside value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n", error: .bareLineEnding),
        Case(name: "RFC 9112 §2.2 bare CR in request line", raw: "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", error: .bareLineEnding),
        Case(name: "RFC 9112 §2.2 LF-only request", raw: "GET / HTTP/1.1\n\n", error: .bareLineEnding),
        // Request line (RFC 9112 §3)
        Case(name: "RFC 9112 §3 two spaces after method", raw: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §3 tab as separator", raw: "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §3 missing version", raw: "GET /\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §3 trailing space after version", raw: "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §3 space in target", raw: "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §3 empty method", raw: " / HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §3 non-token method", raw: "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §3 control character in target", raw: "GET /\u{1}a HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §3 UTF-8 in target", raw: "GET /\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §3.2 target not origin or absolute form", raw: "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §3.2.4 asterisk-form with GET", raw: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §3.2.3 CONNECT is not proxied", raw: "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", error: .unsupportedMethod),
        Case(name: "RFC 9112 §2.3 HTTP/2.0 on HTTP/1 wire", raw: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", error: .unsupportedVersion),
        Case(name: "RFC 9112 §2.3 HTTP/1.2", raw: "GET / HTTP/1.2\r\nHost: a\r\n\r\n", error: .unsupportedVersion),
        Case(name: "RFC 9112 §2.3 lower-case version", raw: "GET / http/1.1\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §2.3 HTTP/0.9 style request", raw: "GET /\r\n\r\n", error: .invalidRequestLine),
        Case(name: "RFC 9112 §2.3 version with extra digits", raw: "GET / HTTP/1.10\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        // Host (RFC 9112 §3.2, RFC 9110 §7.2)
        Case(name: "RFC 9112 §3.2 HTTP/1.1 without Host", raw: "GET / HTTP/1.1\r\nX: y\r\n\r\n", error: .missingHost),
        Case(name: "RFC 9112 §3.2 two Host fields", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", error: .duplicateHost),
        Case(name: "RFC 9112 §3.2 two Host fields different case", raw: "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", error: .duplicateHost),
        Case(name: "RFC 9110 §7.2 Host with userinfo", raw: "GET / HTTP/1.1\r\nHost: user@evil\r\n\r\n", error: .invalidHost),
        Case(name: "RFC 9110 §7.2 Host with path", raw: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", error: .invalidHost),
        Case(name: "RFC 9110 §7.2 Host with space", raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", error: .invalidHost),
        // Connection options that would strip framing or routing fields (RFC 9110 §7.6.1)
        Case(name: "RFC 9110 §7.6.1 Connection names Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: content-length\r\n\r\n", error: .connectionNamesProtectedField),
        Case(name: "RFC 9110 §7.6.1 Connection names Host", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Host\r\n\r\n", error: .connectionNamesProtectedField),
        Case(name: "RFC 9110 §7.6.1 Connection names Transfer-Encoding", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: Transfer-Encoding\r\n\r\n", error: .connectionNamesProtectedField),
        // Expectations (RFC 9110 §10.1.1)
        Case(name: "RFC 9110 §10.1.1 unknown expectation is 417", raw: "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", error: .unsupportedExpectation),
        // Connection option syntax (RFC 9110 §7.6.1)
        Case(name: "RFC 9110 §7.6.1 non-token connection option", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: a/b\r\n\r\n", error: .invalidFieldValue),
    ]

    @Test(arguments: cases)
    func rejects(_ c: Case) {
        let (status, _, _) = parseRequest(c.raw)
        #expect(status == .failed(c.error))
    }

    @Test(arguments: cases)
    func rejectsByteByByte(_ c: Case) {
        let (status, _, _) = parseRequest(c.raw, byteByByte: true)
        #expect(status == .failed(c.error))
    }

    @Test func statusCodesMatchTheError() {
        #expect(HTTPParseError.requestLineTooLong.status == 414)
        #expect(HTTPParseError.headersTooLarge.status == 431)
        #expect(HTTPParseError.bodyTooLarge.status == 413)
        #expect(HTTPParseError.unsupportedTransferCoding.status == 501)
        #expect(HTTPParseError.contentLengthWithTransferEncoding.status == 400)
        #expect(HTTPParseError.bareLineEnding.status == 400)
        #expect(HTTPParseError.unsupportedVersion.status == 400)
    }
}

/// Limits (RFC 9112 §3 request-line length, RFC 6585 §5 header size).
@Suite struct RequestLimitTests {
    @Test func longRequestLineIs414() {
        let target = "/" + String(repeating: "a", count: 9000)
        let (status, _, _) = parseRequest("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(status == .failed(.requestLineTooLong))
    }

    @Test func longRequestLineIs414BeforeItEnds() {
        let (status, _, _) = parseRequest("GET /" + String(repeating: "a", count: 9000))
        #expect(status == .failed(.requestLineTooLong))
    }

    @Test func requestLineAtTheLimitPasses() {
        let limits = HTTPLimits(maxRequestLine: 100)
        let line = "GET /" + String(repeating: "a", count: 100 - 15) + " HTTP/1.1"
        #expect(line.utf8.count == 99)
        let (status, _, _) = parseRequest(line + "\r\nHost: a\r\n\r\n", limits: limits)
        #expect(status == .complete(headEnd: line.utf8.count + 13))
    }

    @Test func largeHeaderBlockIs431() {
        let field = "X-Big: " + String(repeating: "b", count: 70_000)
        let (status, _, _) = parseRequest("GET / HTTP/1.1\r\nHost: a\r\n\(field)\r\n\r\n")
        #expect(status == .failed(.headersTooLarge))
    }

    @Test func tooManyFieldsIs431() {
        let fields = (0..<101).map { "X-\($0): v\r\n" }.joined()
        let (status, _, _) = parseRequest("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n")
        #expect(status == .failed(.headersTooLarge))
    }

    @Test func hundredFieldsPass() {
        let fields = (0..<99).map { "X-\($0): v\r\n" }.joined()
        let (status, head, _) = parseRequest("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n")
        #expect(head.fields.count == 100)
        if case .complete = status {} else { Issue.record("expected complete: \(status)") }
    }

    @Test func declaredBodyOverLimitIs413() {
        let limits = HTTPLimits(maxBodySize: 1000)
        let (status, _, _) = parseRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", limits: limits)
        #expect(status == .failed(.bodyTooLarge))
    }

    @Test func endlessLeadingEmptyLinesHitTheLimit() {
        let (status, _, _) = parseRequest(String(repeating: "\r\n", count: 40_000))
        #expect(status == .failed(.requestLineTooLong))
    }
}
