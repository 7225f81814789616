import Foundation
import Glibc
import Testing

/// Backends that lie, stall or break (issue 9): the client always gets a
/// clear answer or a closed connection, never a response that looks whole
/// but is not, and a broken backend connection is never reused.
@Suite struct HostileBackendTests {
    static func tether(_ backend: ScriptedBackend, extra: [String] = []) throws -> TetherProcess {
        try TetherProcess(backends: [backend.address], extra: extra)
    }

    @Test func invalidStatusLineIs502() throws {
        let b = try ScriptedBackend([[.send("HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n"), .close]])
        defer { b.stop() }
        let t = try Self.tether(b)
        #expect(try Curl.status(["\(t.url)/"]) == 502)
    }

    @Test func oversizedAndEndlessHeadersAre502() throws {
        let huge = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Filler: " + String(repeating: "y", count: 100) + "\r\n", count: 1000)
        let b = try ScriptedBackend([[.send(huge), .send("\r\n"), .close], [.send("HTTP/1.1 200 OK\r\n"), .sendBytes(300_000, byte: 0x61), .close]])
        defer { b.stop() }
        let t = try Self.tether(b)
        #expect(try Curl.status(["\(t.url)/oversized"]) == 502)
        #expect(try Curl.status(["\(t.url)/endless"]) == 502)
    }

    @Test func shortContentLengthCutsTheClientConnection() throws {
        // Says 100 bytes, sends 10, closes: the client must see a failed transfer.
        let b = try ScriptedBackend([[.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"), .close]])
        defer { b.stop() }
        let t = try Self.tether(b)
        let r = try Curl.run(["-o", "/dev/null", "\(t.url)/"])
        #expect(r.status == 18 || r.status == 56, "curl exit \(r.status): \(r.stderr)")
    }

    @Test func longContentLengthNeverLeaksIntoTheNextResponse() throws {
        // Says 5 bytes, sends 5 + junk: the junk must not become the next response.
        let b = try ScriptedBackend([
            [.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"), .sleep(milliseconds: 2000), .close],
            [.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh"), .again],
        ])
        defer { b.stop() }
        let t = try Self.tether(b, extra: ["--workers", "1"])
        let c = try RawClient(port: t.port)
        c.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n")
        let responses = c.readResponses(2)
        #expect(responses.count == 2)
        #expect(responses.first?.hasSuffix("\r\n\r\nhello") == true)
        #expect(responses.last?.hasSuffix("\r\n\r\nfresh") == true, "\(responses)")
        #expect(!responses.joined().contains("smuggled"))
    }

    /// The head and a first chunk left; then the framing breaks: the client
    /// connection is reset (curl: 56), never ended like a whole response,
    /// and the log says why. (Broken framing that arrives before any byte
    /// left is a clean 502: `ResponseFailureTests`.)
    @Test func badChunkingMidResponseResetsTheClient() throws {
        let b = try ScriptedBackend([[
            .send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
            .sleep(milliseconds: 300), .send("ZZ\r\nbroken"), .sleep(milliseconds: 500), .close,
        ]])
        defer { b.stop() }
        let t = try Self.tether(b)
        let r = try Curl.run(["\(t.url)/"])
        #expect(r.status == 56, "a broken chunked body must not end like a whole one: curl exit \(r.status) \(r.stderr)")
        #expect(r.stdout == "hello")
        #expect(t.waitForStderr(containing: "invalid response (invalidChunk); response cut after 5 body bytes"))
    }

    @Test func earlyResponseBeforeTheBodyIsRelayed() throws {
        // The backend refuses the upload after its head, without reading the body.
        let b = try ScriptedBackend([[.send("HTTP/1.1 413 Content Too Large\r\nContent-Length: 9\r\nConnection: close\r\n\r\ntoo large"), .sleep(milliseconds: 300), .close]])
        defer { b.stop() }
        let t = try Self.tether(b)
        let file = try TempFile(pattern: 8 * 1024 * 1024)
        let r = try Curl.run(["-s", "-o", "/dev/stdout", "-w", " %{http_code}", "-T", file.path, "-X", "POST", "\(t.url)/upload"])
        #expect(r.stdout.hasSuffix("too large 413"), "\(r.stdout) / \(r.stderr)")
    }

    @Test func informationalResponsesAreRelayedOrDropped() throws {
        let hints = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        let cont = "HTTP/1.1 100 Continue\r\n\r\n"
        let final = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let b = try ScriptedBackend([[.send(hints + cont + final), .again]])
        defer { b.stop() }
        let t = try Self.tether(b, extra: ["--workers", "1"])
        let c = try RawClient(port: t.port)
        c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        var text = ""
        var buf = [UInt8](repeating: 0, count: 4096)
        while !text.hasSuffix("\r\n\r\nok") {
            let n = buf.withUnsafeMutableBytes { read(c.fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            text += String(decoding: buf[0..<n], as: UTF8.self)
        }
        // 103 goes to the client; 100 does not (this client did not send Expect).
        #expect(text.hasPrefix("HTTP/1.1 103 Early Hints\r\n"), "\(text)")
        #expect(text.contains("Link: </style.css>; rel=preload"))
        #expect(!text.contains("100 Continue"), "\(text)")
        #expect(text.contains("HTTP/1.1 200 OK"))
    }

    @Test func resetMidResponseClosesTheClientAndIsNeverReused() throws {
        let b = try ScriptedBackend([
            [.send("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"), .sendBytes(20_000), .reset],
            [.send("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"), .again],
        ])
        defer { b.stop() }
        let t = try Self.tether(b, extra: ["--workers", "1"])
        let c = try RawClient(port: t.port)
        c.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        let cut = c.readToEnd()  // ends: Tether closes the client too
        #expect(cut.utf8.count < 100_000 + 200, "got \(cut.utf8.count) bytes")
        #expect(try Curl.run(["\(t.url)/after"]).stdout == "next")
    }

    @Test func aLateAnswerAfterTheTimeoutIsNeverDelivered() throws {
        let b = try ScriptedBackend([
            [.sleep(milliseconds: 900), .send("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate"), .sleep(milliseconds: 1000), .close],
            [.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh"), .again],
        ])
        defer { b.stop() }
        let t = try Self.tether(b, extra: ["--workers", "1", "--backend-timeout", "300ms"])
        #expect(try Curl.status(["\(t.url)/slow"]) == 504)
        #expect(b.waitForSends(1), "the late answer was never sent")  // it reaches the abandoned connection now
        #expect(try Curl.run(["\(t.url)/again"]).stdout == "fresh")
    }
}
