import Foundation
import Testing

/// Hostile heads end at the proxy: the right status, the connection closed,
/// nothing forwarded.
@Suite(.serialized) struct MalformedRequestTests {
    static let cases: [(String, String)] = [
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", "400"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n", "400"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "501"),
        ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", "400"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n", "400"),
        ("GET / HTTP/1.1\nHost: x\n\n", "400"),
        ("GET / HTTP/1.1\r\n\r\n", "400"),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400"),
        ("GET / HTTP/3.0\r\nHost: x\r\n\r\n", "400"),
        ("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}\r\n\r\n", "400"),
        ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "414"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 70_000) + "\r\n\r\n", "431"),
        ("GET / HTTP/1.1\r\nHost: x\r\n" + (0..<120).map { "X-\($0): v\r\n" }.joined() + "\r\n", "431"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n", "413"),
    ]

    @Test func malformedRequestsAreRefusedAndNeverForwarded() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address], extra: ["--max-body", "1k"])
        for (raw, expected) in Self.cases {
            let client = try RawClient(port: tether.port)
            client.send(raw)
            let answer = client.readToEnd()
            #expect(answer.hasPrefix("HTTP/1.1 \(expected) "), "\(raw.prefix(60).debugDescription) got \(answer.prefix(40).debugDescription)")
            #expect(answer.contains("Connection: close"))
        }
        #expect(backend.requests == 0)
    }

    /// The head is valid and is forwarded as the body streams; the bad chunk
    /// ends both connections and the client gets 400.
    @Test func badChunkMidBodyIs400() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let client = try RawClient(port: tether.port)
        client.send("POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n")
        let answer = client.readToEnd()
        #expect(answer.hasPrefix("HTTP/1.1 400 "))
    }

    @Test func chunkedBodyOverTheLimitIs413() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address], extra: ["--max-body", "1k"])
        let client = try RawClient(port: tether.port)
        client.send("POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + String(repeating: "a", count: 2048) + "\r\n0\r\n\r\n")
        let answer = client.readToEnd()
        #expect(answer.hasPrefix("HTTP/1.1 413 "))
    }
}
