import COpenSSL
import Foundation
import Glibc
import HTTP1

/// A small threaded HTTP/1.1 server the integration tests put behind Tether.
/// Independent of Tether's event loop (blocking sockets, a thread per
/// connection), it counts what reaches it and misbehaves on request.
final class TestBackend: @unchecked Sendable {
    enum ConnectionMode {
        /// Keep-alive as a normal server.
        case normal
        /// Close after every response without saying so (no `Connection: close`).
        case closeSilently
        /// Serve the first request on a connection; on the second, close
        /// without answering: a pooled connection that died as it was reused.
        case dropSecondRequest
        /// Read the whole request (head and body), count it, close without
        /// answering: a server that dies after receiving a request.
        case dieAfterRequest
    }

    let name: String
    let mode: ConnectionMode
    private(set) var port: Int = 0
    private var listenFD: Int32 = -1
    private let lock = NSLock()
    private var _connections = 0
    private var _requests = 0
    private var _lastHead = ""
    private var stopped = false
    private var _closed = 0
    /// Connections that ended (the peer, Tether, closed them).
    var closedConnections: Int { lock.withLock { _closed } }
    private var _active = 0
    private var _maxActive = 0

    /// Most `/slow/` and `/held` requests it was ever working on at the same time.
    var maxConcurrent: Int { lock.withLock { _maxActive } }

    var connections: Int { lock.withLock { _connections } }
    var requests: Int { lock.withLock { _requests } }

    /// `/held` requests wait on this gate until `release()`: a backend that is
    /// busy for exactly as long as the test says, instead of a guessed time.
    private let gate = NSCondition()
    private var gateOpen = false
    private var _holding = 0

    /// `/held` requests waiting at the gate now.
    var holding: Int { gate.withLock { _holding } }

    /// Lets every held request (and every later one) answer.
    func release() {
        gate.withLock {
            gateOpen = true
            gate.broadcast()
        }
    }

    /// Waits until `count` `/held` requests are at the gate.
    func waitUntilHolding(_ count: Int, timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        return gate.withLock {
            while _holding < count {
                if !gate.wait(until: deadline) { return _holding >= count }
            }
            return true
        }
    }
    var lastHead: String { lock.withLock { _lastHead } }

    init(name: String = "backend", mode: ConnectionMode = .normal) throws {
        self.name = name
        self.mode = mode
        listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listenFD, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, 16) } }
        guard rc == 0, listen(listenFD, 128) == 0 else { throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(16)
        withUnsafeMutablePointer(to: &addr) { _ = $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    var address: String { "127.0.0.1:\(port)" }

    func stop() {
        lock.withLock { stopped = true }
        release()
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 { return }
            lock.withLock { _connections += 1 }
            let t = Thread { [self] in serve(fd) }
            t.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            close(fd)
            lock.withLock { _closed += 1 }
        }
        var conn = BlockingConnection(fd: fd)
        var served = 0
        while true {
            guard let request = conn.readRequest() else { return }
            if mode == .dropSecondRequest && served == 1 { return }
            lock.withLock {
                _requests += 1
                _lastHead = request.head
            }
            if mode == .dieAfterRequest {
                _ = conn.readBody(request) { _ in }
                return
            }
            let keepGoing = respond(to: request, on: &conn)
            served += 1
            if !keepGoing || mode == .closeSilently { return }
        }
    }

    /// Counts `body` as work in progress. Concurrency is counted from the
    /// request's arrival to just before its answer leaves: once sent, the
    /// proxy may start the next at once.
    private func working(_ body: () -> Void) {
        lock.withLock {
            _active += 1
            _maxActive = max(_maxActive, _active)
        }
        body()
        lock.withLock { _active -= 1 }
    }

    /// Answers one request; false when the connection must close.
    private func respond(to r: BlockingConnection.Request, on conn: inout BlockingConnection) -> Bool {
        let path = r.target
        if path.hasPrefix("/sink") {
            let hasher = SHA256Hasher()
            var total = 0
            let ok = conn.readBody(r) { chunk in
                hasher.update(chunk)
                total += chunk.count
            }
            guard ok else { return false }
            return conn.send(status: 200, body: Array("\(total) \(hasher.hexDigest())\n".utf8))
        }
        var body: [UInt8] = []
        guard conn.readBody(r, { body.append(contentsOf: $0) }) else { return false }
        if path.hasPrefix("/echo") {
            return conn.send(status: 200, body: body)
        }
        if path.hasPrefix("/bytes/") {
            let n = Int(path.dropFirst("/bytes/".count)) ?? 0
            return conn.sendStream(status: 200, length: n)
        }
        if path.hasPrefix("/slow/") {
            let ms = UInt32(path.dropFirst("/slow/".count)) ?? 1000
            working { usleep(ms * 1000) }
            return conn.send(status: 200, body: Array("slow \(name)\n".utf8))
        }
        if path.hasPrefix("/held") {
            working {
                gate.withLock {
                    _holding += 1
                    gate.broadcast()
                    while !gateOpen { gate.wait() }
                    _holding -= 1
                }
            }
            return conn.send(status: 200, body: Array("held \(name)\n".utf8))
        }
        if path.hasPrefix("/headers") {
            return conn.send(status: 200, body: Array(r.head.utf8))
        }
        if path.hasPrefix("/chunked") {
            return conn.sendRaw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        }
        if path.hasPrefix("/until-close") {
            _ = conn.sendRaw("HTTP/1.1 200 OK\r\n\r\nbody until close")
            return false
        }
        return conn.send(status: 200, body: Array("ok \(name) \(r.method) \(path) \(body.count)\n".utf8))
    }
}

/// Deterministic bytes for large transfers: a xorshift stream both the backend
/// and the tests can regenerate without storing it.
struct PatternStream {
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func fill(_ buf: inout [UInt8]) {
        buf.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in 0..<words.count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                words[i] = state
            }
        }
    }

    /// SHA-256 of the first `length` bytes of the stream.
    static func sha256(length: Int) -> String {
        var stream = PatternStream()
        let hasher = SHA256Hasher()
        var block = [UInt8](repeating: 0, count: 1 << 16)
        var left = length
        while left > 0 {
            stream.fill(&block)
            let n = min(left, block.count)
            block.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            left -= n
        }
        return hasher.hexDigest()
    }
}

/// SHA-256 through the system OpenSSL (the same library Tether's TLS uses).
/// A class: it owns the OpenSSL context, freed once, when it goes.
final class SHA256Hasher {
    private let ctx: OpaquePointer

    init() {
        ctx = EVP_MD_CTX_new()
        EVP_DigestInit_ex(ctx, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(ctx) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        EVP_DigestUpdate(ctx, bytes.baseAddress, bytes.count)
    }

    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    func hexDigest() -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &len)
        return out.map { String(format: "%02x", $0) }.joined()
    }
}
