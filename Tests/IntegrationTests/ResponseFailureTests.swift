import Foundation
import Glibc
import Testing

/// A response Tether cannot relay: a clean 502 while nothing of it has left,
/// a cut connection after, a line in the log either way, and passive health
/// blames the backend only for what the backend did wrong.
@Suite struct ResponseFailureTests {
    /// RFC 9112 §7.1: a bad chunk size arriving with the head. Nothing has
    /// reached the client yet, so it gets a 502, not a head and a reset.
    @Test(arguments: ["ZZ\r\nhello\r\n0\r\n\r\n", "5\nhello\r\n0\r\n\r\n", "fffffffffffffffff\r\n"])
    func invalidChunkedResponseBeforeAnyByteLeftIs502(_ body: String) throws {
        let b = try ScriptedBackend([[.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body), .close]])
        defer { b.stop() }
        let t = try TetherProcess(backends: [b.address])
        let r = try Curl.run(["-i", "\(t.url)/"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"), "got: \(r.stdout)")
        #expect(t.waitForStderr(containing: "invalid response (invalidChunk); answered 502"))
    }

    /// A 101 Tether never asked for, and a head over `max_header_size`, are
    /// Tether's refusals, not the backend's failures: four of them in a row
    /// (passive `fall` is 3) leave the backend in service.
    @Test func unrelayableResponsesDoNotMarkTheBackendDown() throws {
        let huge = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Filler: " + String(repeating: "y", count: 100) + "\r\n", count: 1000) + "\r\n"
        let b = try ScriptedBackend([
            [.send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"), .close],
            [.send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"), .close],
            [.send(huge), .close],
            [.send(huge), .close],
            [.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), .again],
        ])
        defer { b.stop() }
        let admin = try TestBackend.unusedPort()
        let t = try TetherProcess(backends: [b.address], extra: ["--workers", "1", "--admin", "127.0.0.1:\(admin)"])
        for _ in 0..<4 { #expect(try Curl.status(["\(t.url)/"]) == 502) }
        #expect(t.waitForStderr(containing: "101 Switching Protocols without an upgrade; answered 502"))
        #expect(t.waitForStderr(containing: "response head over max_header_size; answered 502"))
        let r = try Curl.run(["\(t.url)/"])
        #expect(r.stdout == "ok", "the backend was taken out of service: \(r.stdout)")
        #expect(!t.stderr.contains("is down"))
        // The 502s were Tether's: the backend's status classes show what it sent.
        let stats = try AdminTests.json(admin)
        let backend = try #require((stats["backends"] as? [[String: Any]])?.first)
        #expect(backend["requests"] as? Int == 5)
        #expect(backend["responses"] as? [String: Int] == ["1xx": 0, "2xx": 1, "3xx": 0, "4xx": 0, "5xx": 0])
        #expect((stats["rejected"] as? [String: Int])?["invalid_response"] == 4)
        #expect((stats["rejected"] as? [String: Int])?["total"] == 4)
        #expect((backend["errors"] as? [String: Int])?["invalid_response"] == 4, "counted on the backend too, apart from its own statuses")
    }
}
