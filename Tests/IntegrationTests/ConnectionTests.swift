import Foundation
import Glibc
import Testing

/// Keep-alive, pipelining, pools and the failures around them.
@Suite(.serialized) struct ConnectionTests {
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let backend = try TestBackend(name: "p")
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let client = try RawClient(port: tether.port)
        client.send((1...5).map { "GET /n\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
        let responses = client.readResponses(5)
        #expect(responses.count == 5)
        for (i, r) in responses.enumerated() {
            #expect(r.hasSuffix("ok p GET /n\(i + 1) 0\n"))
        }
    }

    @Test func keepAliveReusesBackendConnections() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address], extra: ["--workers", "1"])
        // 5 client connections of 20 requests each.
        for round in 0..<5 {
            let urls = (0..<20).map { "\(tether.url)/k\(round)-\($0)" }
            let r = try Curl.run(urls)
            #expect(r.stdout.components(separatedBy: "ok backend").count - 1 == 20)
        }
        #expect(backend.requests == 100)
        #expect(backend.connections <= 2, "backend saw \(backend.connections) connections for 100 requests")
    }

    @Test func http10KeepAliveIsHonoured() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let client = try RawClient(port: tether.port)
        client.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let first = client.readResponses(1)
        #expect(first.first?.contains("Connection: keep-alive") == true)
        client.send("GET /b HTTP/1.0\r\n\r\n")
        let rest = client.readToEnd()
        #expect(rest.contains("ok backend GET /b"))
        #expect(rest.contains("Connection: close"))
    }

    @Test func backendClosingIdleConnectionsNeverShowsAs502() throws {
        let backend = try TestBackend(mode: .closeSilently)
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address], extra: ["--workers", "1"])
        let urls = (0..<30).map { "\(tether.url)/c\($0)" }
        let r = try Curl.run(["-w", "%{http_code}\n"] + urls)
        #expect(!r.stdout.contains("502"))
        #expect(r.stdout.components(separatedBy: "ok backend").count - 1 == 30)
    }

    @Test func staleConnectionFoundOnReuseIsRetriedOnAFreshOne() throws {
        let backend = try TestBackend(mode: .dropSecondRequest)
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address], extra: ["--workers", "1"])
        let urls = (0..<20).map { "\(tether.url)/s\($0)" }
        let r = try Curl.run(["-w", "%{http_code}\n"] + urls)
        #expect(!r.stdout.contains("502"))
        #expect(backend.requests == 20)
        #expect(backend.connections >= 20)  // every reuse met a dead connection
    }

    @Test func refusedBackendIs502() throws {
        let port = try TestBackend.unusedPort()
        let tether = try TetherProcess(backends: ["127.0.0.1:\(port)"])
        #expect(try Curl.status(["\(tether.url)/"]) == 502)
    }

    @Test func slowBackendIs504() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address], extra: ["--backend-timeout", "500ms"])
        #expect(try Curl.status(["\(tether.url)/slow/3000"]) == 504)
        // A fast request right after is fine: the slow connection was not pooled.
        #expect(try Curl.status(["\(tether.url)/fast"]) == 200)
    }

    @Test func slowlorisIsClosedAtTheHeaderTimeout() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address], extra: ["--header-timeout", "2s"])
        let client = try RawClient(port: tether.port)
        let start = Date()
        // One byte a second; the head would take far longer than the timeout.
        let reader = Thread {
            for c in "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: abcdefghijklmnopqrstuvwxyz\r\n\r\n" {
                client.send(String(c))
                usleep(1_000_000)
            }
        }
        reader.start()
        let answer = client.readToEnd()
        let elapsed = Date().timeIntervalSince(start)
        #expect(answer.hasPrefix("HTTP/1.1 408"))
        #expect(elapsed >= 1.8 && elapsed < 6, "closed after \(elapsed) s")
        #expect(backend.requests == 0)
    }

    @Test func gracefulStopFinishesRequestsInFlight() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let client = try RawClient(port: tether.port)
        client.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(backend.waitUntilHolding(1))
        tether.signal(SIGTERM)
        // The stop is under way (no new connections) while the request is still at the backend...
        #expect(tether.waitForStderr(containing: "] stopping (signal 15)"))
        #expect(Await.until { (try? RawClient(port: tether.port)) == nil }, "still accepting after SIGTERM")
        #expect(backend.holding == 1)
        // ...and it still gets its whole answer, marked as the connection's last.
        backend.release()
        let answer = client.readToEnd()
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(answer.contains("Connection: close"))
        #expect(answer.hasSuffix("held backend\n"))
        #expect(tether.waitForExit(timeout: 15) == 0)
    }

    /// A client still sending after its last response lingers (see
    /// `LingeringClose`): a graceful stop waits for it, or the exit's RST
    /// could destroy the response it has not read yet.
    @Test func gracefulStopWaitsForALingeringClient() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let client = try RawClient(port: tether.port)
        // No Host: Tether answers 400 and closes; the bytes after the head stay unread.
        client.send("GET / HTTP/1.1\r\n\r\nmore bytes on the way")
        let answer = client.readToEnd()  // up to Tether's FIN: the client's side stays open
        #expect(answer.hasPrefix("HTTP/1.1 400 "))
        tether.signal(SIGTERM)
        #expect(tether.waitForStderr(containing: "] stopping (signal 15)"))
        #expect(tether.waitForExit(timeout: 0.3) == nil, "exited while a client lingered (the linger lasts 2 s)")
        client.send("and more")  // read and dropped
        shutdown(client.fd, Int32(SHUT_WR))  // the client is done: the linger ends
        #expect(tether.waitForExit(timeout: 15) == 0)
        #expect(backend.requests == 0)
    }
}

extension TestBackend {
    /// A port nothing listens on, below the kernel's ephemeral range
    /// (32768–60999) so that no outgoing connection of a concurrent test can
    /// take it between this check and its use.
    static func unusedPort() throws -> Int {
        let (fd, port) = try listenOnTestPort()
        close(fd)
        return port
    }

    /// A listening socket on a free port of the tests' range (see `unusedPort`).
    static func listenOnTestPort() throws -> (fd: Int32, port: Int) {
        for _ in 0..<2000 {
            let p = PortAllocator.next()
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = UInt16(p).bigEndian
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, 16) } }
            if rc == 0 && listen(fd, 128) == 0 { return (fd, p) }
            close(fd)
        }
        throw POSIXError(.EADDRINUSE)
    }
}

/// Hands out ports from 20000–31999, starting at a random point per test run.
/// Steps by two: tests put the admin endpoint on port + 1.
enum PortAllocator {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var current = 20000 + Int.random(in: 0..<10000)

    static func next() -> Int {
        lock.withLock {
            current += 2
            if current >= 31998 { current = 20000 }
            return current
        }
    }
}
