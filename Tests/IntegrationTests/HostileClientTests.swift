import Foundation
import Glibc
import Testing

/// Clients that trickle, never read, flood, speak TLS to a plain port, half
/// close or reset mid-body (issue 9): memory stays bounded, the connection
/// ends at the right timeout, and nobody else notices.
@Suite struct HostileClientTests {
    @Test func slowReaderIsClosedAtTheSendTimeoutWithBoundedMemory() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let (tether, port, _) = try LimitsTests.start("backend b \(backend.address)\n", extra: "send_timeout 1s\n")
        let c = try RawClient(port: port)
        var small: Int32 = 4096
        setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, 4)
        c.send("GET /bytes/\(512 * 1024 * 1024) HTTP/1.1\r\nHost: t\r\n\r\n")
        // Never read; Tether must give up after a second without progress:
        // the connection is gone from its count while the client still holds it.
        let start = Date()
        #expect(Await.until { (try? LimitsTests.connectionStats(port + 1)["current"] as? Int) == 0 }, "the non-reading client is still connected")
        #expect(Date().timeIntervalSince(start) >= 1, "closed before the send_timeout")
        // The most it ever held, not just what is left after the close.
        let peak = tether.peakRSS
        #expect(peak > 0 && peak < StreamingTests.memoryCeiling, "peak RSS \(peak) while a client did not read")
        let got = c.readToEnd()  // what was in flight, then the end
        #expect(got.utf8.count < 16 * 1024 * 1024, "read \(got.utf8.count) bytes: the response was not cut")
        #expect(try Curl.status(["http://127.0.0.1:\(port)/x"]) == 200)
    }

    @Test func aPipelinedFloodIsReadOnlyAsFastAsItIsAnswered() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address], extra: ["--workers", "1"])
        let c = try RawClient(port: tether.port)
        var small: Int32 = 4096
        setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, 4)
        let count = 3000
        let flood = String(repeating: "GET /bytes/32768 HTTP/1.1\r\nHost: t\r\n\r\n", count: count)  // ~100 MB of answers
        let sender = Thread { c.send(flood) }  // blocks once Tether stops reading: that is the bound
        sender.start()
        usleep(2_000_000)  // the passage of time is the event: the flood has had its chance
        let rss = tether.rss
        #expect(rss > 0 && rss < StreamingTests.memoryCeiling, "RSS \(rss) under a pipelining flood")
        let forwarded = backend.requests
        #expect(forwarded > 0 && forwarded < 100, "\(forwarded) of \(count) requests forwarded to a client that reads nothing")
        // Reading resumes the flow (the bodies are binary: only the first head is checked as text).
        let first = c.readResponses(1)
        #expect(first.first?.hasPrefix("HTTP/1.1 200 OK") == true)
    }

    @Test func tlsOnThePlainPortIs400() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let c = try RawClient(port: tether.port)
        // The start of a TLS 1.2 ClientHello record.
        c.send("\u{16}\u{03}\u{01}\u{00}\u{a5}\u{01}\u{00}\u{00}\u{a1}\u{03}\u{03}")
        let reply = c.readToEnd()
        #expect(reply.hasPrefix("HTTP/1.1 400 Bad Request"), "\(reply)")
        #expect(backend.requests == 0)
    }

    @Test func halfClosedClientStillGetsItsResponse() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let c = try RawClient(port: tether.port)
        c.send("GET /half HTTP/1.1\r\nHost: t\r\n\r\n")
        shutdown(c.fd, Int32(SHUT_WR))
        let reply = c.readToEnd()
        #expect(reply.hasPrefix("HTTP/1.1 200"))
        #expect(reply.contains("GET /half"))
    }

    @Test func resetMidBodyFreesBothSides() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let (tether, port, _) = try LimitsTests.start("backend b \(backend.address)\n")
        let c = try RawClient(port: port)
        c.send("POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n" + String(repeating: "z", count: 200_000))
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        shutdown(c.fd, Int32(SHUT_RDWR))
        // Tether notices, drops the backend side and counts no connection left.
        #expect(Await.until { (try? LimitsTests.connectionStats(port + 1)["current"] as? Int) == 0 }, "connections left after the client reset")
        #expect(try Curl.status(["http://127.0.0.1:\(port)/x"]) == 200)
        withExtendedLifetime(tether) {}
    }
}
