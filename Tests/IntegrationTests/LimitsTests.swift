import Foundation
import Glibc
import Testing

/// Resource limits (issue 9): per-backend `max_conns` with a bounded queue,
/// connection caps, descriptor exhaustion, total request time.
@Suite(.serialized) struct LimitsTests {
    static func start(
        _ backends: String, extra: String = "", workers: Int = 1, listenOptions: String = "", wrapper: [String] = []
    ) throws -> (TetherProcess, Int, TempFile) {
        let port = PortAllocator.next()
        let text = "listen 127.0.0.1:\(port) \(listenOptions)\nadmin 127.0.0.1:\(port + 1)\nrouting balanced\naccess_log off\nworkers \(workers)\nhealth_check enabled=off\n" + extra + backends
        let file = TempFile(emptyNamed: "limits.conf")
        try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        return (try TetherProcess(arguments: ["run", "--config", file.path], wrapper: wrapper), port, file)
    }

    /// `count` concurrent curls, started now; the returned call waits for
    /// them and gives their status codes (sorted) and how long each took.
    static func inBackground(_ count: Int, _ url: String) -> () -> [(Int, TimeInterval)] {
        // Threads, not concurrentPerform: that runs only as many at once as there are cores.
        let results = Locked([(Int, TimeInterval)]())
        let done = DispatchGroup()
        for _ in 0..<count {
            done.enter()
            Thread {
                let start = Date()
                let status = (try? Curl.status([url])) ?? -1
                results.withLock { $0.append((status, Date().timeIntervalSince(start))) }
                done.leave()
            }.start()
        }
        return {
            done.wait()
            return results.withLock { $0 }.sorted { $0.0 < $1.0 }
        }
    }

    /// The `connections` object of the only backend in `/stats`.
    static func backendConnections(admin: Int) -> [String: Any]? {
        let json = try? AdminTests.json(admin)
        return (json?["backends"] as? [[String: Any]])?.first?["connections"] as? [String: Any]
    }

    @Test func maxConnsQueuesThenRefusesWhenTheQueueIsFull() throws {
        let backend = try TestBackend(name: "small")
        defer { backend.stop() }
        // A queue_timeout far past curl's deadline: a 503 within it can only
        // be the full queue's refusal, never a wait that ran out.
        let (tether, port, _) = try Self.start("backend small \(backend.address) max_conns=1 max_queue=2\n", extra: "queue_timeout 60s\n")
        let admitted = Self.inBackground(3, "\(tether.url)/held")
        // One at the backend, two waiting...
        #expect(backend.waitUntilHolding(1))
        #expect(Await.until { Self.backendConnections(admin: port + 1)?["queued"] as? Int == 2 })
        // ...so two more are refused at once, while the backend still holds the first.
        for _ in 0..<2 {
            #expect(try Curl.status(["--max-time", "10", "\(tether.url)/held"]) == 503)
        }
        #expect(backend.holding == 1)
        backend.release()
        // The queued two are then served one after another.
        #expect(admitted().map(\.0) == [200, 200, 200])
        #expect(backend.maxConcurrent == 1)
        #expect(backend.requests == 3)
        let conns = Self.backendConnections(admin: port + 1)
        #expect(conns?["queue_rejected"] as? Int == 2)
        #expect(conns?["max_conns"] as? Int == 1)
        #expect(conns?["queued"] as? Int == 0)
    }

    @Test func queueTimeoutIs503() throws {
        let backend = try TestBackend(name: "busy")
        defer { backend.stop() }
        let (tether, port, _) = try Self.start("backend busy \(backend.address) max_conns=1\n", extra: "queue_timeout 300ms\n")
        let first = Self.inBackground(1, "\(tether.url)/held")
        #expect(backend.waitUntilHolding(1))
        let waited = Self.inBackground(2, "\(tether.url)/held")()
        #expect(waited.map(\.0) == [503, 503], "\(waited)")
        // Not before their queue_timeout (a timer never fires early)...
        #expect(waited.allSatisfy { $0.1 >= 0.3 }, "\(waited)")
        // ...and while the backend was still busy: the timeout answered, not a free slot.
        #expect(backend.holding == 1)
        backend.release()
        #expect(first().map(\.0) == [200])
        #expect(backend.maxConcurrent == 1)
        #expect(backend.requests == 1)
        #expect(Self.backendConnections(admin: port + 1)?["queue_rejected"] as? Int == 2)
    }
}

/// A value behind a lock, for results gathered from concurrent work in tests.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
}

extension LimitsTests {
    @Test func listenerCapStopsThatListenerOnly() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let other = PortAllocator.next()
        let (tether, port, _) = try Self.start(
            "backend b \(backend.address)\n", extra: "listen 127.0.0.1:\(other)\n", workers: 2, listenOptions: "max_connections=2")
        defer { withExtendedLifetime(tether) {} }
        var held = try (0..<2).map { _ in try RawClient(port: port) }
        for c in held {
            c.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(c.readResponses(1).count == 1)
        }
        // A third client waits in the backlog; the other listener is not affected.
        // It waits in the backlog: no response at all within the second (curl's 000).
        #expect(try Curl.status(["--max-time", "1", "http://127.0.0.1:\(port)/"]) == 0, "a third client got an answer through the listener cap")
        #expect(try Curl.status(["http://127.0.0.1:\(other)/"]) == 200)
        held.removeFirst()  // one leaves: the next is served
        #expect(try Curl.status(["--max-time", "5", "http://127.0.0.1:\(port)/"]) == 200)
    }

    /// Also the regression test for a trap: libdispatch made the main
    /// queue's eventfd when `dispatchMain()` retired the main thread, which
    /// on a busy machine came after these clients had taken every
    /// descriptor (SIGILL in about 1 run of 50 beside a CPU burner; see
    /// `MainQueueHandle`).
    @Test func descriptorExhaustionDoesNotSpinTheLoop() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let (tether, port, _) = try Self.start("backend b \(backend.address)\n", wrapper: ["/usr/bin/prlimit", "--nofile=48:48"])
        // More clients than descriptors: accept(2) fails with EMFILE while the
        // rest wait in the backlog, which stays readable.
        var held: [RawClient] = []
        for _ in 0..<80 { if let c = try? RawClient(port: port) { held.append(c) } }
        #expect(tether.waitForStderr(containing: "EMFILE", timeout: 5), "no EMFILE notice: \(tether.stderr)")
        let before = tether.cpuTicks
        usleep(1_000_000)
        let used = tether.cpuTicks - before
        #expect(tether.process.isRunning, "tether ended (status \(tether.process.isRunning ? 0 : tether.process.terminationStatus)): \(tether.stderr)")
        #expect(used >= 0 && used < 30, "\(used) ticks of CPU in 1 s while out of descriptors")
        held.removeAll()  // descriptors come back: Tether serves again
        #expect(try Curl.status(["--max-time", "5", "http://127.0.0.1:\(port)/"]) == 200)
    }

    @Test func requestTimeoutBoundsTheWholeExchange() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let (tether, _, _) = try Self.start("backend b \(backend.address)\n", extra: "request_timeout 600ms\n")
        let start = Date()
        // The backend holds the answer until released: the 504 is the timeout's.
        #expect(try Curl.status(["\(tether.url)/held"]) == 504)
        let took = Date().timeIntervalSince(start)
        #expect(took >= 0.6, "answered after \(took) s, before the request_timeout")
        #expect(backend.holding == 1)
        backend.release()
        // Mid-response: the client sees the transfer cut (reset), not a short body that looks whole.
        // 2 MB/s: 40 MB would take 20 s; the cut comes at 0.6 s (curl reads what the kernel buffered first).
        let slow = try Curl.run(["--limit-rate", "2m", "-o", "/dev/null", "\(tether.url)/bytes/40000000"])
        // Reset by Tether: curl's 56 (receive failure), never 0 (a short body that looks whole).
        #expect(slow.status == 56, "a cut-short download must fail: curl exit \(slow.status) \(slow.stderr)")
        #expect(try Curl.status(["\(tether.url)/x"]) == 200, "later requests are fine")
    }
}

extension LimitsTests {
    static func connectionStats(_ adminPort: Int) throws -> [String: Any] {
        try #require(try AdminTests.json(adminPort)["connections"] as? [String: Any])
    }

    /// A keep-alive connection between requests holds no buffer and no
    /// request state: both go back to the loop the moment its response is
    /// out (that is what keeps 10,000 idle connections under 1 KiB each), and
    /// come back with its next bytes, even a head larger than the usual buffer.
    @Test func idleConnectionsHoldNoBuffersAndServeAgain() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let (tether, port, _) = try Self.start("backend b \(backend.address)\n")
        var clients: [RawClient] = []
        for i in 0..<20 {
            let c = try RawClient(port: tether.port)
            c.send("GET /first\(i) HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(c.readResponses(1).first?.contains("GET /first\(i)") == true)
            clients.append(c)
        }
        // The response was written in the same step that returned the buffers.
        var conns = try Self.connectionStats(port + 1)
        #expect(conns["current"] as? Int == 20)
        #expect(conns["idle"] as? Int == 20, "idle connections holding buffers: \(conns)")
        let spares = conns["spare_exchanges"] as? Int ?? -1
        #expect(spares >= 1 && spares <= 20, "\(spares) spares for 20 sequential requests")
        let cookie = String(repeating: "c", count: 24_000)
        for (i, c) in clients.enumerated() {
            c.send("GET /second\(i) HTTP/1.1\r\nHost: t\r\nCookie: big=\(cookie)\r\n\r\n")
            #expect(c.readResponses(1).first?.contains("GET /second\(i)") == true)
            c.send("GET /third\(i) HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(c.readResponses(1).first?.contains("GET /third\(i)") == true)
        }
        conns = try Self.connectionStats(port + 1)
        #expect(conns["idle"] as? Int == 20, "\(conns)")
        // A half-sent head holds its buffer (the bytes live there) until it completes.
        clients[0].send("GET /half HTTP/1.1\r\nHo")
        #expect(Await.until { (try? Self.connectionStats(port + 1)["idle"] as? Int) == 19 }, "the half-sent head's connection still counts as idle")
        clients[0].send("st: t\r\n\r\n")
        #expect(clients[0].readResponses(1).first?.contains("GET /half") == true)
    }

    /// A burst leaves spares behind; the ones nobody takes for a second are
    /// freed (all but 8 per loop), so a burst's buffers do not stay resident.
    @Test func sparesLeftByABurstAreFreed() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let (tether, port, _) = try Self.start("backend b \(backend.address)\n")
        // Thirty at the backend at once, held there until all have arrived.
        let burst = Self.inBackground(30, "\(tether.url)/held")
        #expect(backend.waitUntilHolding(30))
        backend.release()
        #expect(burst().allSatisfy { $0.0 == 200 })
        #expect(backend.maxConcurrent == 30)
        // Their responses were out before the clients closed: the spares are there.
        let spares = try Self.connectionStats(port + 1)["spare_exchanges"] as? Int ?? -1
        #expect(spares > 8, "the burst's exchanges did not come back: \(spares)")
        // Nobody takes them: after a second unused they are freed down to the floor of 8.
        #expect(Await.until { (try? Self.connectionStats(port + 1)["spare_exchanges"] as? Int) == 8 })
    }
}

extension LimitsTests {
    @Test func idleTimeoutsCloseBothSides() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(
            backends: [backend.address], extra: ["--workers", "1", "--idle-timeout", "1500ms", "--pool-idle-timeout", "500ms"])
        let c = try RawClient(port: tether.port)
        let start = Date()
        c.send("GET /once HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(c.readResponses(1).count == 1)
        // The pooled backend connection is closed after its idle timeout...
        #expect(Await.until { backend.closedConnections == 1 }, "pooled connection still open")
        // ...and the idle client after its own (the read ends with the close).
        #expect(c.readToEnd().isEmpty)
        let idle = Date().timeIntervalSince(start)
        #expect(idle >= 1.3 && idle < 5, "client closed after \(idle) s")
    }
}

extension LimitsTests {
    /// A queued upload keeps sending its body: the queue timeout still applies
    /// (the body's own, longer timeout must not replace it).
    @Test func queuedUploadStillTimesOutInTheQueue() throws {
        let backend = try TestBackend(name: "busy")
        defer { backend.stop() }
        let (tether, _, _) = try Self.start("backend busy \(backend.address) max_conns=1\n", extra: "queue_timeout 500ms\n")
        let busy = Self.inBackground(1, "\(tether.url)/held")
        #expect(backend.waitUntilHolding(1))  // the slot is taken
        let size = 4 * 1024 * 1024
        let file = try TempFile(pattern: size)
        let start = Date()
        // 1 MB/s: the body takes 4 s, far past the 500 ms queue_timeout.
        let r = try Curl.run(["-o", "/dev/null", "-w", "%{http_code} %{size_upload}", "-H", "Expect:", "--limit-rate", "1m", "-T", file.path, "-X", "POST", "\(tether.url)/sink"])
        let took = Date().timeIntervalSince(start)
        let fields = r.stdout.split(separator: " ")
        #expect(fields.first == "503", "\(r.stdout) \(r.stderr)")
        #expect(took >= 0.5, "answered after \(took) s, before the queue_timeout")
        // The answer came while the body was still coming: the queue's timer, not the body's end.
        #expect(fields.count == 2 && (Int(fields[1]) ?? size) < size, "uploaded \(r.stdout) of \(size) bytes before the answer")
        #expect(backend.holding == 1)
        backend.release()
        #expect(busy().map(\.0) == [200])
    }
}
