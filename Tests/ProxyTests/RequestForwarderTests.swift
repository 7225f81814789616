import EventLoop
import HTTP1
import Testing

@testable import Proxy

/// The request side of an exchange, on byte arrays: a client's head and
/// body go in, the backend's bytes come out.
@Suite struct RequestForwarderTests {
    struct Harness {
        var forwarder = RequestForwarder()
        var input = ReceiveBuffer(capacity: 16 * 1024)
        var send = SendQueue()
        var highWater = 256 * 1024
        var head = RequestHead()

        /// Parses the head at the front of `text`, begins, and pumps what follows it.
        init(_ text: String, maxBody: Int = 1 << 30) {
            append(text)
            var parser = RequestParser()
            var end = 0
            let status = input.storage.withUnsafeBufferPointer { parser.parse($0, start: 0, end: input.writeIndex, into: &head) }
            if case .complete(let e) = status { end = e }
            let address = Array("192.0.2.7".utf8), host = Array("app:8080".utf8)
            input.storage.withUnsafeBufferPointer { buf in
                address.withUnsafeBufferPointer { a in
                    host.withUnsafeBufferPointer { h in
                        forwarder.begin(buf, head, info: .init(clientAddress: a, isTLS: false, fallbackHost: h), maxBody: maxBody)
                    }
                }
            }
            input.readIndex = end
            send.bytes += forwarder.head
        }

        mutating func append(_ text: String) {
            input.append(text)
        }

        mutating func pump() -> RequestForwarder.Event {
            forwarder.pump(&input, into: &send, highWater: highWater)
        }

        var sent: String { String(decoding: send.bytes, as: UTF8.self) }
        var headSent: String { String(decoding: forwarder.head, as: UTF8.self) }
        var leftover: String {
            input.storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[input.readIndex..<input.writeIndex]), as: UTF8.self) }
        }
    }

    @Test func theHeadIsRewrittenForTheBackend() {
        var h = Harness("GET /a?b=1 HTTP/1.1\r\nHost: shop\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n")
        #expect(h.headSent.hasPrefix("GET /a?b=1 HTTP/1.1\r\n"))
        #expect(h.headSent.contains("\r\nHost: shop\r\n") && h.headSent.contains("\r\nVia: 1.1 tether\r\n"))
        #expect(!h.headSent.contains("X-Hop"), "fields named by Connection are hop-by-hop")
        #expect(h.headSent.contains("X-Forwarded-For: 192.0.2.7\r\n"), "an untrusted client's X-Forwarded-For is replaced")
        #expect(h.pump() == .done(moved: 0), "no body")
        #expect(h.forwarder.bodyDone)
    }

    @Test func anHTTP10RequestWithoutHostGetsTheBackendsHost() {
        let h = Harness("GET / HTTP/1.0\r\n\r\n")
        #expect(h.headSent.hasPrefix("GET / HTTP/1.1\r\n"))
        #expect(h.headSent.contains("Host: app:8080\r\n"))
    }

    @Test func aContentLengthBodyInPiecesLeavesThePipelinedRequest() {
        var h = Harness("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello")
        #expect(h.pump() == .body(moved: 5))
        h.append("worldGET /next HTTP/1.1\r\n")
        #expect(h.pump() == .done(moved: 5))
        #expect(h.sent.hasSuffix("\r\n\r\nhelloworld"))
        #expect(h.leftover == "GET /next HTTP/1.1\r\n", "the next request stays for the parser")
    }

    @Test func aChunkedBodyIsRechunkedWithItsTrailers() {
        var h = Harness("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;name=x\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n")
        #expect(h.pump() == .done(moved: 3))
        #expect(h.sent.hasSuffix("\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n"), "\(h.sent)")
        #expect(h.headSent.contains("Transfer-Encoding: chunked\r\n"))
    }

    @Test func aChunkedBodyOverTheLimitIs413() {
        var h = Harness("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n", maxBody: 10)
        guard case .failed(let error, let moved) = h.pump() else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.status == 413)
        #expect(moved == 8, "what went before the limit is counted")
    }

    @Test func brokenChunkingIs400() {
        var h = Harness("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        guard case .failed(let error, _) = h.pump() else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.status == 400)
    }

    /// Nothing more is queued while the backend's queue holds its high-water
    /// mark (the session stops reading the client then): memory stays bounded.
    @Test func theRelayWaitsWhileTheBackendsQueueIsFull() {
        var h = Harness("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\n")
        h.highWater = h.send.count  // the head alone fills it
        h.append("abcdefgh")
        #expect(h.pump() == .body(moved: 0))
        h.send.clear()  // the backend took it
        #expect(h.pump() == .done(moved: 8))
        #expect(h.sent == "abcdefgh")
    }
}
