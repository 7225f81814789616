import Foundation
import Testing

/// Requests through a real tether process, with curl as the client.
@Suite(.serialized) struct ForwardingTests {
    @Test func getAndPostWithContentLength() throws {
        let backend = try TestBackend(name: "one")
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let get = try Curl.run(["\(tether.url)/hello"])
        #expect(get.stdout == "ok one GET /hello 0\n")
        let post = try Curl.run(["--data-binary", "hello world", "\(tether.url)/echo"])
        #expect(post.stdout == "hello world")
    }

    @Test func chunkedUploadArrivesWhole() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let file = try TempFile(pattern: 3_000_000)
        let r = try Curl.run(["-T", file.path, "-X", "POST", "-H", "Transfer-Encoding: chunked", "\(tether.url)/sink"])
        #expect(r.stdout == "3000000 \(PatternStream.sha256(length: 3_000_000))\n")
    }

    @Test func chunkedResponseIsRelayed() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let r = try Curl.run(["-D", "-", "\(tether.url)/chunked"])
        #expect(r.stdout.contains("Transfer-Encoding: chunked"))
        #expect(r.stdout.hasSuffix("hello world"))
    }

    @Test func closeDelimitedResponseEndsWithTheConnection() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let r = try Curl.run(["-D", "-", "\(tether.url)/until-close"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Connection: close"))
        #expect(r.stdout.hasSuffix("body until close"))
    }

    @Test func forwardedHeadersAreSet() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let r = try Curl.run([
            "-H", "X-Forwarded-For: 203.0.113.9", "-H", "Connection: X-Private", "-H", "X-Private: secret",
            "-H", "Keep-Alive: timeout=5", "\(tether.url)/headers",
        ])
        // No trusted_proxies: a client's own X-Forwarded-For is replaced, never believed.
        #expect(r.stdout.contains("X-Forwarded-For: 127.0.0.1\r\n"))
        #expect(!r.stdout.contains("203.0.113.9"))
        #expect(r.stdout.contains("X-Forwarded-Proto: http\r\n"))
        #expect(r.stdout.contains("X-Forwarded-Host: 127.0.0.1:\(tether.port)\r\n"))
        #expect(r.stdout.contains("Via: 1.1 tether\r\n"))
        #expect(!r.stdout.contains("secret"))
        #expect(!r.stdout.contains("Keep-Alive"))
    }

    @Test func roundRobinSpreadsRequests() throws {
        let a = try TestBackend(name: "a")
        let b = try TestBackend(name: "b")
        defer { a.stop(); b.stop() }
        let tether = try TetherProcess(backends: [a.address, b.address], extra: ["--workers", "1"])
        let urls = (0..<10).map { "\(tether.url)/r\($0)" }
        let r = try Curl.run(urls)
        #expect(r.stdout.components(separatedBy: "ok a").count - 1 == 5)
        #expect(r.stdout.components(separatedBy: "ok b").count - 1 == 5)
    }

    @Test func accessLogHasOneLinePerRequest() throws {
        let backend = try TestBackend(name: "one")
        defer { backend.stop() }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tether-access-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let tether = try TetherProcess(backends: [backend.address], extra: ["--access-log", log])
        try Curl.run(["\(tether.url)/a?x=1", "\(tether.url)/b"])
        tether.signal(SIGTERM)
        #expect(tether.waitForExit(timeout: 15) == 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        // client [time] "request line" status bytes backend backend_ms total_ms
        let first = try #require(lines.first)
        #expect(first.hasPrefix("127.0.0.1 ["))
        #expect(first.contains("\"GET /a?x=1 HTTP/1.1\" 200 20 b1 "))
    }
}

/// A file of pattern bytes, removed when the test ends.
final class TempFile {
    let path: String

    init(pattern length: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("tether-\(UUID()).bin").path
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw POSIXError(.EIO) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var stream = PatternStream()
        var block = [UInt8](repeating: 0, count: 1 << 16)
        var left = length
        while left > 0 {
            stream.fill(&block)
            let n = min(left, block.count)
            try handle.write(contentsOf: block[0..<n])
            left -= n
        }
        try handle.close()
    }

    init(emptyNamed suffix: String) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("tether-\(UUID())-\(suffix)").path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
