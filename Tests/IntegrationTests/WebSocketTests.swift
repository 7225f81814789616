import Foundation
import Glibc
import Testing

/// WebSockets through Tether against libraries no one here wrote: the
/// `websockets` package as server and client, and python-socketio servers
/// (aiohttp) with the python-socketio client, which long-polls first and
/// then upgrades, as browsers do. Sticky sessions and WebSockets go
/// together: Socket.IO keeps each client's session in one server's memory.
@Suite(.serialized) struct WebSocketTests {
    struct Site {
        let tether: TetherProcess
        let adminPort: Int
        let file: TempFile
        var port: Int { tether.port }
    }

    /// Tether in front of `backends` (name, address), with `extra` lines.
    static func site(_ backends: [(String, String)], extra: String = "", accessLog: String = "off") throws -> Site {
        let port = try TestBackend.unusedPort()
        let adminPort = try TestBackend.unusedPort()
        let lines = backends.map { "backend \($0.0) \($0.1)" }.joined(separator: "\n")
        let text = """
            listen 127.0.0.1:\(port)
            admin 127.0.0.1:\(adminPort)
            access_log \(accessLog)
            workers 2
            hash_secret "websocket-tests-secret-0123456789"
            \(extra)
            \(lines)
            """
        let file = TempFile(emptyNamed: "websocket.conf")
        try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        return Site(tether: try TetherProcess(configFile: file.path), adminPort: adminPort, file: file)
    }

    /// Runs `Servers/SCRIPT` with python3 and returns its last line of output, as JSON.
    static func python(_ script: String, _ args: [String], timeout: TimeInterval = 180) throws -> Any {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Servers/\(script)").path
        let r = try Curl.run(executable: "/usr/bin/env", ["timeout", String(Int(timeout)), "python3", path] + args)
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard let json = try? JSONSerialization.jsonObject(with: Data(last.utf8)) else {
            throw ScriptError.noResult(script, r.stderr)
        }
        return json
    }

    enum ScriptError: Error { case noResult(String, String) }

    static func backendStats(_ s: Site) throws -> [[String: Any]] {
        try AdminTests.json(s.adminPort)["backends"] as? [[String: Any]] ?? []
    }

    static func tunnels(_ b: [String: Any]) -> [String: Int] {
        b["tunnels"] as? [String: Int] ?? [:]
    }

    @Test func aThousandMessagesFromOneByteTo16MiBComeBackIntact() throws {
        let server = try ExternalServer.python("websocket_echo_server.py")
        let s = try Self.site([("ws", server.address)])
        let r = try #require(try Self.python("websocket_echo_client.py", ["ws://127.0.0.1:\(s.port)/", "1000"]) as? [String: Any])
        #expect(r["mismatch"] is NSNull, "\(r)")
        #expect(r["messages"] as? Int == 1000)
        #expect(r["smallest"] as? Int == 1 && r["largest"] as? Int == 16 << 20)
        #expect(r["sent"] as? Int == r["received"] as? Int)
        // Counted, and the tunnel is gone once the client closed it.
        #expect(Await.until { (try? Self.backendStats(s)).map { Self.tunnels($0[0])["open"] == 0 } ?? false })
        let t = Self.tunnels(try Self.backendStats(s)[0])
        #expect(t["upgrades"] == 1)
        let sent = try #require(r["sent"] as? Int)
        #expect((t["bytes_in"] ?? 0) > sent && (t["bytes_out"] ?? 0) > sent, "framing adds bytes: \(t)")
    }

    /// wss: TLS ends at Tether; the tunnel encrypts toward the client.
    @Test func theSameOverTLS() throws {
        let server = try ExternalServer.python("websocket_echo_server.py")
        let ca = try TestCA()
        let s = try TLSTests.start(ca: ca, certs: [try ca.issue("localhost")], backend: server.address)
        // Idle for 1.5 s halfway: OpenSSL's buffers go after a second and come back.
        let r = try #require(try Self.python("websocket_echo_client.py", ["wss://localhost:\(s.port)/", "300", ca.caPath, "1.5"]) as? [String: Any])
        #expect(r["mismatch"] is NSNull, "\(r)")
        #expect(r["sent"] as? Int == r["received"] as? Int && r["largest"] as? Int == 16 << 20)
    }

    /// Socket.IO's multiple-nodes setup: three servers, sticky sessions.
    /// Every client's polling requests and its upgrade land on one server.
    @Test func socketIOClientsUpgradeAndStayOnOneServer() throws {
        let servers = try ["a", "b", "c"].map { try ExternalServer.python("socketio_server.py", [$0]) }
        let s = try Self.site(servers.enumerated().map { (["a", "b", "c"][$0.offset], $0.element.address) })
        let results = try #require(try Self.python("socketio_clients.py", ["http://127.0.0.1:\(s.port)", "20", "20"]) as? [[String: Any]])
        #expect(results.count == 20)
        for r in results {
            #expect(r["error"] == nil, "\(r)")
            #expect(r["transport"] as? String == "websocket", "\(r)")
            #expect((r["servers"] as? [String])?.count == 1, "answered by more than one server: \(r)")
            #expect(r["server_transports"] as? [String] == ["websocket"], "\(r)")
            #expect(r["answers"] as? Int == 20)
        }
        let stats = try Self.backendStats(s)
        #expect(stats.map { Self.tunnels($0)["upgrades"] ?? 0 }.reduce(0, +) == 20)
    }

    /// The same without stickiness fails the way Socket.IO documents: a
    /// client's requests reach servers that do not know its session.
    @Test func socketIOWithoutStickySessionsFails() throws {
        let servers = try ["a", "b", "c"].map { try ExternalServer.python("socketio_server.py", [$0]) }
        let s = try Self.site(servers.enumerated().map { (["a", "b", "c"][$0.offset], $0.element.address) }, extra: "routing balanced")
        let results = try #require(try Self.python("socketio_clients.py", ["http://127.0.0.1:\(s.port)", "20", "5"]) as? [[String: Any]])
        #expect(results.count == 20)
        let failed = results.filter { $0["error"] != nil }.count
        #expect(failed > 0, "every client kept its session without stickiness: \(results)")
    }

    // MARK: Lifetimes, with a hand-made client (one frame at a time)

    /// Opens a WebSocket to the echo server through Tether.
    static func open(_ port: Int) throws -> RawClient {
        let c = try RawClient(port: port)
        c.send("GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        let head = c.readHead()
        guard head.hasPrefix("HTTP/1.1 101 ") else { throw ScriptError.noResult("upgrade", head) }
        return c
    }

    /// Sends `text` in one masked frame and returns the echoed frame's text.
    static func echo(_ c: RawClient, _ text: String) -> String {
        let payload = Array(text.utf8)
        precondition(payload.count < 126)
        let mask: [UInt8] = [1, 2, 3, 4]
        let frame = [0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        c.sendBytes(frame)
        let header = c.readExactly(2)
        guard header.count == 2 else { return "" }
        return String(decoding: c.readExactly(Int(header[1] & 0x7F)), as: UTF8.self)
    }

    @Test func theUpgradeHeadReachesTheClientWithTheProtocol() throws {
        let server = try ExternalServer.python("websocket_echo_server.py")
        let s = try Self.site([("ws", server.address)])
        let c = try RawClient(port: s.port)
        c.send("GET /chat HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        let head = c.readHead()
        #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), "\(head)")
        #expect(head.contains("\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"))
        #expect(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), "RFC 6455's own example key")
        #expect(head.contains("Set-Cookie: TETHER="), "a new session is pinned by its 101")
        #expect(Self.echo(c, "hello") == "hello")
        // h2c is not offered to the backend: a plain answer on plain HTTP.
        let h2c = try RawClient(port: s.port)
        h2c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
        #expect(!h2c.readHead().hasPrefix("HTTP/1.1 101"))
    }

    @Test func anIdleTunnelEndsAfterTunnelTimeout() throws {
        let server = try ExternalServer.python("websocket_echo_server.py")
        let log = TempFile(emptyNamed: "access.log")
        let s = try Self.site([("ws", server.address)], extra: "tunnel_timeout 1s", accessLog: log.path)
        let c = try Self.open(s.port)
        #expect(Self.echo(c, "still here") == "still here")
        let start = Date()
        _ = c.readToEnd()  // Tether closes it
        let idle = Date().timeIntervalSince(start)
        #expect(idle >= 0.9 && idle < 10, "closed after \(idle) s")
        #expect(Await.until { (try? Self.backendStats(s)).map { Self.tunnels($0[0])["open"] == 0 } ?? false })
        // Its end in the access log: 101, why it ended, and the bytes to
        // the backend (one masked 16-byte frame).
        #expect(Await.until { ((try? String(contentsOfFile: log.path, encoding: .utf8)) ?? "").contains(" tunnel=timeout up=16\n") })
        let line = try String(contentsOfFile: log.path, encoding: .utf8)
        #expect(line.contains("\"GET /chat HTTP/1.1\" 101 "), "\(line)")
    }

    @Test func aGracefulStopLetsOpenTunnelsFinish() throws {
        let server = try ExternalServer.python("websocket_echo_server.py")
        let s = try Self.site([("ws", server.address)])
        let c = try Self.open(s.port)
        s.tether.signal(SIGTERM)
        #expect(s.tether.waitForStderr(containing: "] stopping (signal 15)"))
        #expect(Self.echo(c, "after the signal") == "after the signal")
        #expect(s.tether.waitForExit(timeout: 0.3) == nil, "exited with a tunnel open")
        c.sendBytes([0x88, 0x80, 1, 2, 3, 4])  // a close frame, then the client's end
        shutdown(c.fd, Int32(SHUT_WR))
        _ = c.readToEnd()
        #expect(s.tether.waitForExit(timeout: 15) == 0)
    }

    @Test func drainKeepsTunnelsAndMaintenanceEndsThem() throws {
        let server = try ExternalServer.python("websocket_echo_server.py")
        let s = try Self.site([("ws", server.address)])
        let c = try Self.open(s.port)
        #expect(Self.echo(c, "open") == "open")
        let connections = try AdminTests.json(s.adminPort)["connections"] as? [String: Any]
        #expect(connections?["current"] as? Int == 1, "a tunnel is a client connection: \(connections ?? [:])")
        #expect(try Curl.status(["-X", "POST", "http://127.0.0.1:\(s.adminPort)/backends/ws/drain"]) == 200)
        #expect(Self.echo(c, "draining") == "draining")
        #expect(try Curl.status(["-X", "POST", "http://127.0.0.1:\(s.adminPort)/backends/ws/maintenance"]) == 200)
        let start = Date()
        _ = c.readToEnd()
        #expect(Date().timeIntervalSince(start) < 10, "maintenance did not end the tunnel")
    }

    @Test func aReloadKeepsOpenTunnels() throws {
        let server = try ExternalServer.python("websocket_echo_server.py")
        let other = try TestBackend(name: "other")
        defer { other.stop() }
        let s = try Self.site([("ws", server.address)])
        let c = try Self.open(s.port)
        let text = try String(contentsOfFile: s.file.path, encoding: .utf8) + "\nbackend other \(other.address)\n"
        try text.write(toFile: s.file.path, atomically: true, encoding: .utf8)
        s.tether.signal(SIGHUP)
        #expect(s.tether.waitForStderr(containing: "reload #1"))
        #expect(Self.echo(c, "after the reload") == "after the reload")
    }
}
