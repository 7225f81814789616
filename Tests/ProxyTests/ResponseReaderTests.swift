import EventLoop
import HTTP1
import Testing

@testable import Proxy

/// The response side of an exchange, on byte arrays: what a backend sends
/// goes in, the events and the client's body bytes come out.
@Suite struct ResponseReaderTests {
    /// A reader and its buffers, fed a piece at a time.
    struct Harness {
        var reader = ResponseReader()
        var input = ReceiveBuffer(capacity: 16 * 1024)
        var output = SendQueue()
        var highWater = 256 * 1024
        /// How the client takes bodies (what the session would decide).
        var clientVersion = HTTPVersion.http11
        var clientTakesTrailers = false
        var events: [ResponseReader.Event] = []
        var interimStatuses: [Int] = []

        init(method: HTTPMethod = .get, limits: HTTPLimits = HTTPLimits()) {
            reader.begin(method: method, limits: limits)
        }

        /// Feeds `text` and runs the reader until it wants more (or ends).
        mutating func feed(_ text: String) {
            input.append(text)
            run()
        }

        mutating func run() {
            while true {
                let e = reader.next(&input, into: &output, highWater: highWater)
                events.append(e)
                switch e {
                case .interim:
                    interimStatuses.append(reader.head.status)
                case .head:
                    reader.startBody(ResponsePolicy.framing(reader.head.framing, clientVersion: clientVersion, clientTakesTrailers: clientTakesTrailers))
                case .needMore, .body, .complete, .failed, .switched:
                    return  // as the connection does: wait for the next read (or the client)
                }
            }
        }

        mutating func eof() {
            events.append(reader.endOfStream(&input, into: &output, highWater: highWater))
        }

        var body: String { String(decoding: output.bytes, as: UTF8.self) }
        var last: ResponseReader.Event? { events.last }
    }

    @Test func contentLengthBodyIsRelayedAsIs() {
        var h = Harness()
        h.feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        #expect(h.events == [.head, .complete(moved: 5)])
        #expect(h.body == "hello")
        #expect(h.reader.head.keepAlive)
    }

    @Test func aBodyInPiecesCompletesOnItsLastByte() {
        var h = Harness()
        h.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel")
        #expect(h.last == .body(moved: 3))
        h.feed("lo")
        h.feed("world")
        #expect(h.last == .complete(moved: 5))
        #expect(h.body == "helloworld")
    }

    @Test func aHeadSplitAnywhereWaits() {
        var h = Harness()
        h.feed("HTTP/1.1 200 OK\r\nContent-Le")
        #expect(h.events == [.needMore])
        h.feed("ngth: 2\r\n\r\nok")
        #expect(h.last == .complete(moved: 2))
    }

    @Test func chunkedIsRechunkedForHTTP11() {
        var h = Harness()
        h.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n")
        #expect(h.last == .complete(moved: 5))
        #expect(h.body == "5\r\nhello\r\n0\r\n\r\n", "extensions dropped, framing rewritten")
    }

    @Test func chunkedGoesAsPlainBytesToHTTP10() {
        var h = Harness()
        h.clientVersion = .http10
        h.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        #expect(h.last == .complete(moved: 11))
        #expect(h.body == "hello world")
    }

    @Test func trailersOnlyToAClientThatTakesThem() {
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nDigest: abc\r\n\r\n"
        var takes = Harness()
        takes.clientTakesTrailers = true
        takes.feed(response)
        #expect(takes.body == "2\r\nok\r\n0\r\nDigest: abc\r\n\r\n")
        var not = Harness()
        not.feed(response)
        #expect(not.body == "2\r\nok\r\n0\r\n\r\n")
        #expect(not.last == .complete(moved: 2))
    }

    @Test func aCloseDelimitedBodyEndsWithTheConnection() {
        var h = Harness()
        h.feed("HTTP/1.1 200 OK\r\n\r\nuntil ")
        #expect(h.last == .body(moved: 6))
        h.feed("close")
        h.eof()
        #expect(h.last == .complete(moved: 0))
        #expect(h.body == "until close")
        #expect(!h.reader.head.keepAlive)
    }

    @Test func headAnd204And304HaveNoBody() {
        var head = Harness(method: .head)
        head.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        #expect(head.events == [.head, .complete(moved: 0)])
        for status in ["204 No Content", "304 Not Modified"] {
            var h = Harness()
            h.feed("HTTP/1.1 \(status)\r\nContent-Length: 7\r\n\r\n")
            #expect(h.events == [.head, .complete(moved: 0)], "\(status)")
        }
    }

    @Test func interimHeadsComeFirstInOneReadOrSeveral() {
        var together = Harness()
        together.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(together.interimStatuses == [100, 103])
        #expect(together.events == [.interim, .interim, .head, .complete(moved: 2)])
        var apart = Harness()
        apart.feed("HTTP/1.1 100 \r\n\r\n")
        #expect(apart.events == [.interim, .needMore], "Tomcat's 100 has an empty reason")
        apart.feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(apart.last == .complete(moved: 0))
    }

    @Test func switchingProtocolsIsRefused() {
        var h = Harness()
        h.feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
        #expect(h.last == .failed(.unrelayable("101 Switching Protocols without an upgrade")))
    }

    @Test func garbageIsAnInvalidResponse() {
        var h = Harness()
        h.feed("HTTP/1.1 2OO OK\r\n\r\n")
        guard case .failed(.invalidResponse) = h.last else {
            Issue.record("expected an invalid response, got \(String(describing: h.last))")
            return
        }
    }

    @Test func brokenChunkedFramingIsAnInvalidResponse() {
        var h = Harness()
        h.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
        #expect(h.last == .body(moved: 3))
        h.feed("loZZ\r\n")
        #expect(h.last == .failed(.invalidResponse(.invalidChunk)))
    }

    @Test func aHeadOverTheLimitIsUnrelayableNotTheBackendsFault() {
        var h = Harness(limits: HTTPLimits(maxHeaderBytes: 1024))
        h.feed("HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "a", count: 3000) + "\r\n\r\n")
        #expect(h.last == .failed(.unrelayable("response head over max_header_size")))
        #expect(!BackendFailure.unrelayable("").blamesBackend)
    }

    @Test func theRelayStopsAtTheHighWaterMarkAndGoesOn() {
        var h = Harness()
        h.highWater = 4
        h.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")
        #expect(h.last == .body(moved: 4), "stopped with the output at the mark")
        #expect(h.body == "0123")
        h.output.clear()  // the client took it
        h.run()
        #expect(h.last == .body(moved: 4) && h.body == "4567")
        h.output.clear()
        h.run()
        #expect(h.last == .complete(moved: 2) && h.body == "89")
    }

    @Test func eofBeforeTheEndIsAFailure() {
        var h = Harness()
        h.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
        h.eof()
        #expect(h.last == .failed(.closed))
        var nothing = Harness()
        nothing.eof()
        #expect(nothing.last == .failed(.closed), "closed before a response")
    }

    @Test func aNewRequestStartsFromNothing() {
        var h = Harness()
        h.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        h.reader.begin(method: .get, limits: HTTPLimits())
        h.output.clear()
        h.events = []
        h.feed("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope")
        #expect(h.events == [.head, .complete(moved: 4)])
        #expect(h.reader.head.status == 404 && h.body == "nope")
    }
}
