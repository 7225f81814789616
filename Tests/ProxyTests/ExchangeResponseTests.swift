import EventLoop
import HTTP1
import Testing

@testable import Proxy

/// The response half of the exchange state machine: heads and bodies from
/// the backend, what the client gets, and how the exchange ends.
@Suite struct ExchangeResponseTests {
    let reusedBoth = Exchange.Finish(reuseBackend: true, keepClient: true, requestReadWhole: true)

    @Test func aContentLengthResponseGoesAsItIsAndBothConnectionsStay() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-App: 1\r\n\r\nhel") == .more)
        #expect(d.exchange.state == .relaying && d.exchange.responseHeadDone)
        #expect(d.backend("lo") == .finished(reusedBoth))
        #expect(d.exchange.state == .over && d.exchange.status == 200 && d.exchange.bytesToClient == 5)
        d.clientReads()
        #expect(d.clientGets.hasPrefix("HTTP/1.1 200 OK\r\n") && d.clientGets.hasSuffix("\r\n\r\nhello"))
        #expect(d.clientGets.contains("X-App: 1\r\n"))
    }

    @Test func aChunkedResponseIsRechunkedForHTTP11AndRunsToCloseForHTTP10() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x\r\nok\r\n0\r\n\r\n") == .finished(reusedBoth))
        #expect(d.queuedForClient.hasSuffix("Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"))

        var old = ExchangeDriver()
        _ = old.request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        old.attach()
        #expect(old.backend("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
            == .finished(.init(reuseBackend: true, keepClient: false, requestReadWhole: true)))
        #expect(!old.queuedForClient.contains("chunked") && old.queuedForClient.hasSuffix("\r\n\r\nok"))
    }

    @Test func aCloseDelimitedResponseEndsWithTheBackendsClose() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.0 200 OK\r\n\r\nall of it") == .more)
        #expect(d.backendCloses() == .finished(.init(reuseBackend: false, keepClient: false, requestReadWhole: true)))
        #expect(d.exchange.bytesToClient == 9)
    }

    @Test func aBackendThatClosesTheConnectionIsNotReused() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            == .finished(.init(reuseBackend: false, keepClient: true, requestReadWhole: true)))
    }

    @Test func aHeadResponseHasNoBodyWhateverItsLengthSays() {
        var d = ExchangeDriver()
        _ = d.request("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n") == .finished(reusedBoth))
        #expect(d.exchange.bytesToClient == 0)
    }

    @Test func aBackendThatAnswersBeforeTheBodyEndsClosesBothSides() {
        var d = ExchangeDriver()
        _ = d.request("PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nfirst")
        #expect(d.attach() == .body(moved: 5))
        #expect(d.backend("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n")
            == .finished(.init(reuseBackend: false, keepClient: false, requestReadWhole: false)))
        #expect(d.exchange.status == 413)
        #expect(d.queuedForClient.contains("Connection: close\r\n"), "the client is told the connection ends")
    }

    @Test func aContinueFromTheBackendReachesTheClientOnce() {
        var d = ExchangeDriver()
        _ = d.request("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        d.attach()
        #expect(d.exchange.clientDeadline == .expect)
        #expect(d.backendGot.contains("Expect: 100-continue\r\n"), "the backend may refuse before the upload")
        #expect(d.backend("HTTP/1.1 100 Continue\r\n\r\n") == .more)
        #expect(d.exchange.clientDeadline == .body)
        #expect(d.backend("HTTP/1.1 100 Continue\r\n\r\n") == .more)
        #expect(d.interimsForwarded == [100])
        let again = d.exchange.expectTimedOut(output: &d.output)
        #expect(!again, "a client gets one 100 at most")
        d.client("ok")
        #expect(d.exchange.clientSent() == .pumpBody)
        #expect(d.pump() == .done(moved: 2))
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == .finished(reusedBoth))
        d.clientReads()
        #expect(d.clientGets.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"))
    }

    @Test func tetherSaysContinueWhenTheBackendDoesNot() {
        var d = ExchangeDriver()
        _ = d.request("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        d.attach()
        let said = d.exchange.expectTimedOut(output: &d.output)
        #expect(said)
        #expect(d.queuedForClient == "HTTP/1.1 100 Continue\r\n\r\n")
        #expect(d.exchange.clientDeadline == .body)
        #expect(d.backend("HTTP/1.1 100 Continue\r\n\r\n") == .more)
        #expect(d.interimsForwarded.isEmpty, "the backend's late 100 is not a second one")
    }

    @Test func aBodySentWithoutWaitingNeedsNoContinue() {
        var d = ExchangeDriver()
        _ = d.request("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok")
        #expect(d.exchange.continueSettled)
        #expect(d.attach() == .done(moved: 2))
        #expect(d.backend("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n") == .finished(reusedBoth))
        #expect(d.interimsForwarded.isEmpty)
    }

    @Test func aFinalAnswerEndsTheWaitForContinue() {
        var d = ExchangeDriver()
        _ = d.request("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
            == .finished(.init(reuseBackend: false, keepClient: false, requestReadWhole: false)))
        let said = d.exchange.expectTimedOut(output: &d.output)
        #expect(d.exchange.continueSettled && !said)
    }

    @Test func interimResponsesGoOnlyToHTTP11Clients() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n") == .more)
        #expect(d.interimsForwarded == [103])
        #expect(d.queuedForClient.hasPrefix("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"))

        var old = ExchangeDriver()
        _ = old.request("GET / HTTP/1.0\r\n\r\n")
        old.attach()
        #expect(old.backend("HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") != .more)
        #expect(old.interimsForwarded.isEmpty && old.queuedForClient.hasPrefix("HTTP/1.1 200 OK"))
    }

    @Test func theAffinityCookieRidesOnTheResponseHead() {
        var d = ExchangeDriver()
        d.client("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = d.parse()
        #expect(d.route(0, issueCookie: true) == .connect(backend: 0, fresh: false, carry: .head))
        #expect(d.exchange.issueCookie)
        d.attach()
        d.exchange.cookie.field = Array("Set-Cookie: TETHER=k1; Path=/\r\n".utf8)  // what the loop renders
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == .finished(reusedBoth))
        #expect(d.queuedForClient.contains("\r\nSet-Cookie: TETHER=k1; Path=/\r\n"))
    }
}

/// An upgrade through the exchange: asked of the backend, and a `101`
/// turns the exchange into a tunnel; any other answer is plain HTTP.
@Suite struct ExchangeUpgradeTests {
    static let handshake = "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n"

    @Test func aSwitchingAnswerMakesTheExchangeATunnel() {
        var d = ExchangeDriver()
        #expect(d.request(Self.handshake) == .connect(backend: 0, fresh: false, carry: .head))
        #expect(d.attach() == .done(moved: 0))
        #expect(d.backendGot.contains("Connection: upgrade\r\nUpgrade: websocket\r\n"))
        #expect(d.backend("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u{01}\u{02}hi") == .switched(.tunnel))
        #expect(d.exchange.state == .tunnel && d.exchange.status == 101)
        #expect(d.queuedForClient.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(d.queuedForClient.hasSuffix("Connection: upgrade\r\nUpgrade: websocket\r\n\r\n"))
        #expect(d.backendIn.readable == 4, "the first frame stays for the tunnel")
    }

    @Test func anyOtherAnswerKeepsTheConnectionHTTP() {
        var d = ExchangeDriver()
        _ = d.request(Self.handshake)
        d.attach()
        #expect(d.backend("HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n")
            == .finished(.init(reuseBackend: true, keepClient: true, requestReadWhole: true)))
        #expect(d.exchange.state == .over)
    }

    @Test func aSwitchNobodyAskedForIsRefused() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n") == .failed(.unrelayable("101 Switching Protocols without an upgrade")))
    }
}
