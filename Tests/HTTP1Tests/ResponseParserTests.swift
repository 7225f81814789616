import HTTP1
import Testing

/// Backend responses (RFC 9112 §4, §6.3).
@Suite struct ResponseParserTests {
    @Test func contentLength() {
        let (s, h) = parseResponse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
        #expect(s == .complete(headEnd: 38))
        #expect(h.status == 200)
        #expect(h.framing == .length(5))
        #expect(h.keepAlive)
    }

    @Test func chunked() {
        let (_, h) = parseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(h.framing == .chunked)
    }

    @Test func noLengthMeansUntilClose() {
        let (_, h) = parseResponse("HTTP/1.1 200 OK\r\nX: y\r\n\r\n")
        #expect(h.framing == .untilClose)
        #expect(!h.keepAlive)
    }

    @Test(arguments: [204, 304, 100, 103])
    func statusesWithoutBody(_ status: Int) {
        let (_, h) = parseResponse("HTTP/1.1 \(status) X\r\nContent-Length: 10\r\n\r\n")
        #expect(h.framing == .none)
    }

    @Test func headResponseHasNoBody() {
        let (_, h) = parseResponse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", method: .head)
        #expect(h.framing == .none)
    }

    @Test func headResponseWithChunkedHasNoBody() {
        let (_, h) = parseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", method: .head)
        #expect(h.framing == .none)
    }

    @Test func http10ClosesByDefault() {
        let (_, h) = parseResponse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n")
        #expect(!h.keepAlive)
    }

    @Test func connectionCloseIsSeen() {
        let (_, h) = parseResponse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n")
        #expect(!h.keepAlive)
    }

    @Test func emptyReasonPhrase() {
        let (s, h) = parseResponse("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n")
        if case .complete = s {} else { Issue.record("\(s)") }
        #expect(h.status == 404)
    }

    @Test func missingReasonPhrase() {
        let (_, h) = parseResponse("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n")
        #expect(h.status == 404)
    }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "garbage\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
    ])
    func malformedResponsesFail(_ raw: String) {
        let (s, _) = parseResponse(raw)
        if case .failed = s {} else { Issue.record("accepted: \(raw.debugDescription)") }
    }
}
