import EventLoop
import Glibc
import HTTP1
import Stats
import Testing

@testable import Proxy

/// When a backend lets the exchange down: retry, fail over, or answer —
/// and only what may safely be repeated is (RFC 9110 §9.2.2).
@Suite struct ExchangeFailureTests {
    @Test func aStalePooledConnectionIsRetriedFreshOnceWithoutBlame() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        let first = d.fail(.closed, reused: true)
        #expect(first == .init(action: .connect(backend: 0, fresh: true, carry: .head), blamesBackend: false, note: nil))
        d.attach()
        let second = d.fail(.closed, reused: true)
        #expect(second.action == .failOver(carry: .head), "once: then it is the backend, and the next one gets it")
        #expect(second.blamesBackend)
    }

    @Test func anUploadIsNeverRepeated() {
        var d = ExchangeDriver()
        _ = d.request("POST /pay HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        d.attach()
        #expect(d.fail(.closed, reused: true) == .init(action: .answer(.backendReset), blamesBackend: true, note: nil))
    }

    @Test func aBodylessPostThatGotNoAnswerIsNotRepeatedEither() {
        var d = ExchangeDriver()
        _ = d.request("POST /do HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        d.attach()
        #expect(d.fail(.io(ECONNRESET)).action == .answer(.backendReset), "not idempotent: it may have been done")
    }

    @Test func anIdempotentRequestThatGotNoByteGoesToTheNextBackend() {
        var d = ExchangeDriver()
        _ = d.request("GET /a HTTP/1.1\r\nHost: a\r\n\r\n", to: 0)
        d.attach()
        let out = d.fail(.io(ECONNRESET))
        #expect(out == .init(action: .failOver(carry: .head), blamesBackend: true, note: nil))
        #expect(d.exchange.failedOver(to: 1, sticky: false, carry: .head) == .connect(backend: 1, fresh: true, carry: .head))
        #expect(d.exchange.tried == [0, 1] && d.exchange.backendIndex == 1 && !d.exchange.issueCookie)
    }

    @Test func aGetThatGotPartOfAResponseIsNotRepeated() {
        var d = ExchangeDriver()
        _ = d.request("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-") == .more)
        #expect(d.fail(.closed, received: true).action == .answer(.backendReset))
    }

    @Test func aRefusedConnectionSendsTheQueuedBytesToTheNextBackendAndRepinsTheSession() {
        var d = ExchangeDriver()
        _ = d.request("POST /login HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nuser", to: 2)
        #expect(d.attach() == .done(moved: 4))
        let queued = d.send.bytes
        let out = d.fail(.connect(ECONNREFUSED))
        #expect(out == .init(action: .failOver(carry: .bytes(queued)), blamesBackend: true, note: nil))
        let next = d.exchange.failedOver(to: 0, sticky: true, carry: .bytes(queued))
        #expect(next == .connect(backend: 0, fresh: true, carry: .bytes(queued)))
        #expect(d.exchange.issueCookie, "a sticky session stays on its new backend after the old one recovers")
        d.attach(.bytes(queued))
        #expect(d.backendGot.hasSuffix("\r\n\r\nuser"), "the body went with the head: nothing of it reached backend 2")
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") != .more)
    }

    @Test func aRefusedConnectionWithNowhereElseToGoIs502AndAConnectTimeoutIs504() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let refused = d.exchange.backendFailed(.connect(ECONNREFUSED), .init(queued: .head), output: &d.output)
        #expect(refused.action == .failOver(carry: .head), "refused at once: the head again, and the body from the buffer")
        #expect(d.exchange.giveUp(output: &d.output) == .init(action: .answer(.backendRefused), blamesBackend: false, note: nil))
        var t = ExchangeDriver()
        _ = t.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        t.attach()
        #expect(t.fail(.connectTimeout).action == .failOver(carry: .bytes(t.send.bytes)))
        #expect(t.exchange.giveUp(output: &t.output).action == .answer(.connectTimeout))
    }

    @Test func aSlowBackendIs504AndIsBlamed() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.fail(.responseTimeout) == .init(action: .answer(.backendTimeout), blamesBackend: true, note: nil))
    }

    @Test func anInvalidResponseIs502WithANoteForTheOperator() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        guard case .failed(let f) = d.backend("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") else {
            Issue.record("two lengths are not a response")
            return
        }
        #expect(d.fail(f, received: true) == .init(action: .answer(.invalidResponse), blamesBackend: true, note: .answered(.invalidResponse)))
    }

    @Test func anUnrelayableResponseIs502ButNotTheBackendsFault() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        guard case .failed(let f) = d.backend("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n") else {
            Issue.record("an upgrade nobody asked for cannot be relayed")
            return
        }
        #expect(d.fail(f, received: true) == .init(action: .answer(.invalidResponse), blamesBackend: false, note: .answered(.invalidResponse)))
    }

    @Test func aResponseHeadNothingOfWhichWasWrittenBecomesAClean502() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome") == .more)
        let out = d.fail(.closed, received: true)
        #expect(out == .init(action: .answer(.backendReset), blamesBackend: true, note: .answered(.backendReset)))
        #expect(d.output.isEmpty && !d.exchange.responseHeadDone, "the head promising 100 bytes is taken back")
        d.answer(.backendReset)
        #expect(d.queuedForClient.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
        #expect(d.requestLine == "GET / HTTP/1.1")
    }

    @Test func aResponseCutAfterBytesWentOutResetsTheClient() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.attach()
        #expect(d.backend("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome") == .more)
        d.clientReads()
        #expect(d.fail(.closed, received: true) == .init(action: .reset, blamesBackend: true, note: .cut(afterBodyBytes: 4)))
        #expect(d.exchange.termination == Termination(.backendClosed, .response))
    }

    @Test func aRequestWaitsInTheQueueAndLeavesWithWhatItWouldHaveSent() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n", to: 3)
        d.exchange.queued(fresh: true, carry: .bytes([1, 2]))
        #expect(d.exchange.state == .queued)
        #expect(d.exchange.admitted() == .connect(backend: 3, fresh: true, carry: .bytes([1, 2])))
        #expect(d.exchange.state == .forwarding)
        #expect(d.exchange.admitted() == .wait, "admitted once")
    }

    @Test func aRequestThatWaitedPastTheQueueTimeoutIs503() {
        var d = ExchangeDriver()
        _ = d.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        d.exchange.queued(fresh: false, carry: .head)
        #expect(d.exchange.queueTimedOut() == .answer(.queueTimeout))
        #expect(d.exchange.requestTimedOut() == .answer(.requestTimeout), "request_timeout counts while queued too")
        d.answer(.queueTimeout)
        #expect(d.exchange.backendIndex == 0, "counted against the backend it waited for")
        #expect(d.exchange.state == .over && !d.exchange.keepAlive)
    }

    @Test func aQueuedUploadWaitingForContinueGetsItFromTether() {
        var d = ExchangeDriver()
        _ = d.request("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
        d.exchange.queued(fresh: false, carry: .head)
        let said = d.exchange.expectTimedOut(output: &d.output)
        #expect(said)
        #expect(d.queuedForClient == "HTTP/1.1 100 Continue\r\n\r\n")
    }
}
