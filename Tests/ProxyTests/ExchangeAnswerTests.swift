import EventLoop
import HTTP1
import Stats
import Testing

@testable import Proxy

/// Tether's own responses: every status it answers with, and the redirect
/// of a `redirect_https` listener.
@Suite struct ExchangeAnswerTests {
    /// Each is a whole response a client's parser accepts, with its status,
    /// an exact length and `Connection: close`.
    @Test(arguments: LocalAnswer.allCases)
    func everyStatusTetherAnswersIsACompleteResponseThatCloses(cause: LocalAnswer) {
        let status = cause.status
        var d = ExchangeDriver()
        _ = d.request("GET /p HTTP/1.1\r\nHost: a\r\n\r\n")
        d.answer(cause)
        let bytes = d.output.bytes
        var head = ResponseHead()
        var parser = ResponseParser()
        let parsed = bytes.withUnsafeBufferPointer { parser.parse($0, start: 0, end: bytes.count, requestMethod: .get, into: &head) }
        guard case .complete(let end) = parsed else {
            Issue.record("\(status) does not parse: \(parsed)")
            return
        }
        #expect(head.status == status)
        #expect(head.framing == .length(bytes.count - end))
        #expect(!head.keepAlive)
        #expect(d.exchange.status == status && d.exchange.bytesToClient == bytes.count - end)
        #expect(d.exchange.state == .over && !d.exchange.keepAlive)
    }

    @Test func aHeadThatDidNotParseIsLoggedAsWhatThereIsOfItsFirstLine() {
        var d = ExchangeDriver()
        d.client("GET /\u{01}\"x HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(d.parse() == .answer(.badRequestLine))
        d.answer(.badRequestLine)
        #expect(d.requestLine == "GET /??x HTTP/1.1", "control bytes and quotes are masked")
        #expect(d.exchange.backendIndex == -1, "counted as Tether's own answer")
    }

    @Test func aConnectionThatSentNothingGets408() {
        var d = ExchangeDriver()
        d.answer(.headerTimeout)
        #expect(d.queuedForClient.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(d.requestLine == "" && d.exchange.requestStart == d.now)
    }

    @Test func a408AfterAFinishedRequestDoesNotReuseItsLogLine() {
        var d = ExchangeDriver()
        _ = d.request("GET /done HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") != .more)
        d.client("GET /slow")
        #expect(d.parse() == .wait)
        d.answer(.headerTimeout)
        #expect(d.requestLine == "GET /slow" && d.exchange.backendIndex == -1 && d.exchange.status == 408)
    }

    @Test func aRedirectListenerSendsGetsToHttpsWith301() {
        var d = ExchangeDriver()
        d.client("GET /a/b?c=1 HTTP/1.1\r\nHost: shop.example:8080\r\n\r\n")
        #expect(d.parse() == .route)
        #expect(d.exchange.redirect(d.input, portSuffix: Array(":8443".utf8), into: &d.output) == .answered)
        #expect(d.queuedForClient == "HTTP/1.1 301 Moved Permanently\r\nLocation: https://shop.example:8443/a/b?c=1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        #expect(d.exchange.status == 301 && !d.exchange.keepAlive)
    }

    @Test func aRedirectedPostIsTold308SoItIsRepeatedWithItsBody() {
        var d = ExchangeDriver()
        d.client("POST http://[::1]:80/form HTTP/1.1\r\nHost: [::1]:80\r\nContent-Length: 0\r\n\r\n")
        #expect(d.parse() == .route)
        #expect(d.exchange.redirect(d.input, portSuffix: [], into: &d.output) == .answered)
        #expect(d.queuedForClient.hasPrefix("HTTP/1.1 308 Permanent Redirect\r\nLocation: https://[::1]/form\r\n"))
    }

    @Test func aRedirectNeedsAHostAURLCanCarry() {
        var d = ExchangeDriver()
        d.client("GET / HTTP/1.0\r\n\r\n")
        #expect(d.parse() == .route)
        #expect(d.exchange.redirect(d.input, portSuffix: [], into: &d.output) == .answer(.badHost))
        var e = ExchangeDriver()
        e.client("GET / HTTP/1.1\r\nHost: a_b\r\n\r\n")
        #expect(e.parse() == .route)
        #expect(e.exchange.redirect(e.input, portSuffix: [], into: &e.output) == .answer(.badHost))
    }
}
