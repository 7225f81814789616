import EventLoop
import HTTP1
import Stats
import Testing

@testable import Proxy

/// The request half of the exchange state machine: heads in, decisions
/// and the backend's bytes out.
@Suite struct ExchangeRequestTests {
    @Test func aGetIsRoutedThenSentWithItsForwardedHead() {
        var d = ExchangeDriver()
        d.client("GET /cart?x=1 HTTP/1.1\r\nHost: shop\r\n\r\n")
        #expect(d.parse() == .route)
        #expect(d.exchange.state == .routing)
        #expect(d.route(2) == .connect(backend: 2, fresh: false, carry: .head))
        #expect(d.exchange.state == .forwarding && d.exchange.tried == [2])
        #expect(d.attach() == .done(moved: 0))
        #expect(d.backendGot.hasPrefix("GET /cart?x=1 HTTP/1.1\r\n") && d.backendGot.contains("\r\nHost: shop\r\n"))
        #expect(d.backendGot.contains("X-Forwarded-For: 192.0.2.7\r\n"))
        #expect(d.requestLine == "GET /cart?x=1 HTTP/1.1")
        #expect(d.exchange.clientDeadline == nil, "no body: only the request's own limit")
    }

    @Test func aHeadInPiecesWaitsForItsEnd() {
        var d = ExchangeDriver()
        d.client("GET / HT")
        #expect(d.parse() == .wait)
        d.client("TP/1.1\r\nHost: a\r\n")
        #expect(d.parse() == .wait)
        d.client("\r\n")
        #expect(d.parse() == .route)
    }

    @Test func aContentLengthBodyGoesOnAsItArrives() {
        var d = ExchangeDriver()
        #expect(d.request("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234") == .connect(backend: 0, fresh: false, carry: .head))
        #expect(d.exchange.clientDeadline == .body)
        #expect(d.attach() == .body(moved: 5))
        d.client("56789")
        #expect(d.exchange.clientSent() == .pumpBody)
        #expect(d.pump() == .done(moved: 5))
        #expect(d.backendGot.hasSuffix("\r\n\r\n0123456789"))
        #expect(d.exchange.bytesToBackend == d.exchange.forwarder.head.count + 10)
        #expect(d.exchange.clientDeadline == nil)
    }

    @Test func aChunkedBodyIsDecodedAndChunkedAgain() {
        var d = ExchangeDriver()
        _ = d.request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n")
        #expect(d.attach() == .done(moved: 3))
        #expect(d.backendGot.hasSuffix("Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), "extensions go, framing stays")
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n\r\n", LocalAnswer.badHost, 400),  // no Host
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .badFraming, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .badHost, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: y\n\r\n", .badHeader, 400),  // bare LF
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .notImplemented, 501),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .badRequestLine, 400),
        ("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", .notImplemented, 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", .expectationFailed, 417),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2048\r\n\r\n", .bodyTooLarge, 413),
    ])
    func aHeadThatMustBeRefusedIsAnsweredWithItsCause(head: String, cause: LocalAnswer, status: Int) {
        var d = ExchangeDriver(limits: HTTPLimits(maxBodySize: 1024))
        d.client(head)
        #expect(d.parse() == .answer(cause))
        #expect(cause.status == status)
    }

    /// The proxy's cause of a refused request and the status Tether's own
    /// small servers answer for the same error are two mappings: they agree.
    @Test(arguments: HTTPParseError.allCases)
    func aParseErrorsCauseHasTheParseErrorsStatus(error: HTTPParseError) {
        #expect(LocalAnswer(error).status == error.status)
    }

    @Test func aTargetOverTheLineLimitIs414AndTooManyFieldsAre431() {
        var d = ExchangeDriver(limits: HTTPLimits(maxRequestLine: 64, maxHeaderCount: 3))
        d.client("GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(d.parse() == .answer(.uriTooLong))
        var e = ExchangeDriver(limits: HTTPLimits(maxHeaderCount: 3))
        e.client("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")
        #expect(e.parse() == .answer(.headersTooLarge))
    }

    @Test func noBackendForTheRequestIs503() {
        var d = ExchangeDriver()
        d.client("GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(d.parse() == .route)
        #expect(d.route(nil) == .answer(.noBackend))
        d.answer(.noBackend)
        #expect(d.queuedForClient.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(d.queuedForClient.contains("Retry-After: 1\r\n"))
        #expect(d.requestLine == "GET /x HTTP/1.1", "the log names the request that found no backend")
        #expect(d.exchange.backendIndex == -1 && d.exchange.status == 503)
    }

    @Test func aBodyOverTheLimitMidStreamIs413() {
        var d = ExchangeDriver(limits: HTTPLimits(maxBodySize: 8))
        _ = d.request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        #expect(d.attach() == .body(moved: 5))
        d.client("5\r\nworld\r\n")
        guard case .failed(let error, _) = d.pump() else {
            Issue.record("the body broke its limit")
            return
        }
        #expect(d.exchange.requestBodyFailed(error) == .answer(.bodyTooLarge))
    }

    @Test func aBrokenChunkIs400BeforeTheResponseAndAResetAfter() {
        var d = ExchangeDriver()
        _ = d.request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        d.attach()
        d.client("zz\r\n")
        guard case .failed(let error, _) = d.pump() else {
            Issue.record("a chunk size must be hex")
            return
        }
        #expect(d.exchange.requestBodyFailed(error) == .answer(.badFraming))

        var late = ExchangeDriver()
        _ = late.request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        late.attach()
        #expect(late.backend("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe") == .more)
        late.client("zz\r\n")
        guard case .failed(let lateError, _) = late.pump() else {
            Issue.record("a chunk size must be hex")
            return
        }
        #expect(late.exchange.requestBodyFailed(lateError) == .reset, "a started response must not look whole")
    }

    @Test func theClientGoneMidBodyLosesTheRequest() {
        var d = ExchangeDriver()
        _ = d.request("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc")
        #expect(d.attach() == .body(moved: 3))
        #expect(d.exchange.clientClosed() == .reset)
        #expect(d.exchange.status == 499)
        #expect(d.exchange.termination == Termination(.clientClosed, .upload), "the access log says the client left mid-upload")
    }

    @Test func theClientHalfClosingAfterAWholeRequestStillGetsItsAnswer() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.exchange.clientClosed() == .wait)
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") == .finished(.init(reuseBackend: true, keepClient: false, requestReadWhole: true)))
        d.clientReads()
        #expect(d.clientGets.contains("Connection: close\r\n"))
    }

    @Test func aPipelinedRequestWaitsInTheBufferUntilItsTurn() {
        var d = ExchangeDriver()
        _ = d.request("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.exchange.clientSent() == .wait, "the body is done: the next request waits")
        #expect(d.leftover == "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(d.backendGot.hasPrefix("GET /1 ") && !d.backendGot.contains("/2"))
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1") == .finished(.init(reuseBackend: true, keepClient: true, requestReadWhole: true)))
        #expect(d.parse() == .route, "the next head is parsed from the same buffer")
        #expect(d.requestLine == "GET /2 HTTP/1.1")
        #expect(d.route(1) == .connect(backend: 1, fresh: false, carry: .head))
        d.attach()
        #expect(d.backendGot.hasPrefix("GET /2 "))
        #expect(d.leftover == "")
    }

    @Test func keepAliveExchangesStartFromNothingEachTime() {
        var d = ExchangeDriver()
        for i in 0..<3 {
            d.now += 1000
            _ = d.request("POST /\(i) HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi", to: i)
            #expect(d.exchange.tried == [i] && d.exchange.status == 0 && d.exchange.bytesToClient == 0)
            #expect(d.exchange.requestStart == d.now)
            #expect(d.attach() == .done(moved: 2))
            #expect(d.backend("HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nyes") == .finished(.init(reuseBackend: true, keepClient: true, requestReadWhole: true)))
            #expect(d.exchange.status == 201 && d.exchange.bytesToClient == 3)
            d.clientReads()
        }
        #expect(d.clientGets.ranges(of: "HTTP/1.1 201 Created").count == 3)
    }

    @Test func connectionCloseOrAnHTTP10ClientOrADrainEndsTheConnection() {
        let closed = Exchange.Finish(reuseBackend: true, keepClient: false, requestReadWhole: true)
        var a = ExchangeDriver()
        _ = a.request("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        a.attach()
        #expect(a.backend("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == .finished(closed))
        #expect(a.queuedForClient.contains("Connection: close\r\n"))
        var b = ExchangeDriver()
        _ = b.request("GET / HTTP/1.0\r\n\r\n")
        b.attach()
        #expect(b.backend("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == .finished(closed))
        var c = ExchangeDriver()
        c.draining = true
        _ = c.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        c.attach()
        #expect(c.backend("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == .finished(closed))
    }

    @Test func theRequestLimitIs504BeforeTheResponseAndAResetAfter() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.exchange.requestTimedOut() == .answer(.requestTimeout))
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\npart") == .more)
        #expect(d.exchange.requestTimedOut() == .reset)
        #expect(d.exchange.termination == Termination(.limit, .response))
    }

    @Test func aStalledBodyIs408() {
        var d = ExchangeDriver()
        _ = d.request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc")
        d.attach()
        #expect(d.exchange.bodyTimedOut() == .answer(.bodyTimeout))
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n") == .more)
        #expect(d.exchange.bodyTimedOut() == .reset)
        #expect(d.exchange.termination == Termination(.clientTimeout, .response))
    }

    @Test func aRequestForwardedToTheBackendCarriesAHostEvenFromHTTP10() {
        var d = ExchangeDriver()
        _ = d.request("GET /old HTTP/1.0\r\n\r\n")
        d.attach()
        #expect(d.backendGot.hasPrefix("GET /old HTTP/1.1\r\n"))
        #expect(d.backendGot.contains("Host: app:8080\r\n"), "the backend's address when the client named none")
    }
}
