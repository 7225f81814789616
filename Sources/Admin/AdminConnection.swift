import Config
import EventLoop
import Glibc
import HTTP1
import Proxy
import Stats

/// One admin HTTP connection (keep-alive; one request at a time).
final class AdminConnection: EventHandler, TimerTarget, @unchecked Sendable {
    let fd: Int32
    let admin: AdminServer
    var input = ReceiveBuffer(capacity: 16 * 1024)
    var output = SendQueue()
    var parser = RequestParser(limits: HTTPLimits(maxRequestLine: 4096, maxHeaderBytes: 16 * 1024, maxHeaderCount: 50, maxBodySize: 1024))
    var head = RequestHead()
    var busy = false
    var closed = false
    var closeAfterWrite = false
    var deadline: UInt64 = 0
    var timerSlot = -1

    init(fd: Int32, admin: AdminServer) {
        self.fd = fd
        self.admin = admin
    }

    var loop: EventLoop { admin.loop }

    func start() {
        _ = loop.register(fd, events: EventLoop.readable, handler: self)
        deadline = loop.now + 30_000_000_000
        loop.schedule(self)
    }

    func deadlineExpired(now: UInt64) { finish() }

    func handleEvent(_ events: UInt32) {
        guard !closed else { return }
        if events & EventLoop.writable != 0 { flush() }
        guard events & (EventLoop.readable | EventLoop.hangup | EventLoop.error) != 0, !busy else { return }
        switch input.read(from: fd) {
        case .bytes(let n) where n > 0:
            serve()
        case .wouldBlock, .bytes:
            break
        default:
            finish()
        }
    }

    private func serve() {
        guard !busy, !closed else { return }
        let status = input.storage.withUnsafeBufferPointer { parser.parse($0, start: input.readIndex, end: input.writeIndex, into: &head) }
        switch status {
        case .needMore:
            return
        case .failed(let e):
            respond(e.status, "text/plain", "bad request\n", close: true)
        case .complete(let end):
            let (method, path, auth) = input.storage.withUnsafeBufferPointer { buf -> (String, String, [UInt8]?) in
                let text = { (r: Range<Int>) in String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self) }
                var auth: [UInt8]? = nil
                for f in head.fields where buf.equalsLowercased(f.name, "authorization") {
                    let v = Array(UnsafeBufferPointer(rebasing: buf[f.value]))
                    if v.count > 7, String(decoding: v[0..<7], as: UTF8.self).lowercased() == "bearer " { auth = Array(v[7...]) }
                }
                return (text(head.methodRange), text(head.target), auth)
            }
            var skip = 0
            if case .length(let n) = head.framing { skip = n }
            input.readIndex = min(input.writeIndex, end + skip)
            closeAfterWrite = !head.keepAlive
            route(method: method, path: path, auth: auth)
        }
    }

    private func route(method: String, path: String, auth: [UInt8]?) {
        let target = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        if target == "/healthz" {
            return respond(200, "text/plain", "ok\n")
        }
        guard admin.authorized(auth) else {
            return respond(401, "text/plain", "bearer token required\n", extra: "WWW-Authenticate: Bearer realm=\"tether\"\r\n")
        }
        let parts = target.split(separator: "/").map(String.init)
        if parts.count == 3 && parts[0] == "backends" {
            guard method == "POST" else { return respond(405, "text/plain", "use POST\n", extra: "Allow: POST\r\n") }
            let state: AdminState
            switch parts[2] {
            case "drain": state = .draining
            case "maintenance": state = .maintenance
            case "enable": state = .active
            default: return respond(404, "text/plain", "unknown action \(parts[2]): drain, maintenance or enable\n")
            }
            busy = true
            admin.server.setState(backend: parts[1], state) { result in
                self.loop.execute {
                    self.busy = false
                    switch result {
                    case .done:
                        self.respond(200, "application/json", "{\"backend\":\(JSONWriter.quote(parts[1])),\"admin_state\":\"\(state.rawValue)\"}\n")
                    case .unknownBackend:
                        self.respond(404, "text/plain", "unknown backend \(parts[1])\n")
                    }
                }
            }
            return
        }
        guard method == "GET" || method == "HEAD" else {
            return respond(405, "text/plain", "method not allowed\n", extra: "Allow: GET\r\n")
        }
        switch target {
        case "/":
            respond(200, "text/html; charset=utf-8", Dashboard.html)
        case "/stats", "/metrics":
            busy = true
            admin.server.stats { snapshot in
                let body = target == "/stats" ? StatsJSON.render(snapshot) : PrometheusText.render(snapshot)
                self.loop.execute {
                    self.busy = false
                    if target == "/stats" {
                        self.respond(200, "application/json", body)
                    } else {
                        self.respond(200, "text/plain; version=0.0.4; charset=utf-8", body)
                    }
                }
            }
        default:
            respond(404, "text/plain", "not found: try /, /stats, /metrics, /healthz\n")
        }
    }

    private func respond(_ status: Int, _ type: String, _ body: String, extra: String = "", close: Bool = false) {
        guard !closed else { return }
        let reason = [200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"][status] ?? "Error"
        let bytes = Array(body.utf8)
        let shut = close || closeAfterWrite
        var headText = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(bytes.count)\r\nCache-Control: no-store\r\n"
        headText += extra
        if shut { headText += "Connection: close\r\n" }
        headText += "\r\n"
        output.bytes += Array(headText.utf8)
        if head.method != .head { output.bytes += bytes }
        closeAfterWrite = shut
        deadline = loop.now + 30_000_000_000
        loop.schedule(self)
        flush()
        if !closed && !busy && !closeAfterWrite && !input.isEmpty { serve() }
    }

    private func flush() {
        switch output.flush(to: fd) {
        case .done:
            loop.modify(fd, events: EventLoop.readable)
            if closeAfterWrite { finish() }
            if input.isEmpty { input.compact() }
        case .partial:
            loop.modify(fd, events: EventLoop.readable | EventLoop.writable)
        case .error:
            finish()
        }
    }

    private func finish() {
        guard !closed else { return }
        closed = true
        deadline = 0
        loop.cancelTimer(self)
        loop.deregister(fd)
        close(fd)
    }
}
