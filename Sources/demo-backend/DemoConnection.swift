import CSystem
import EventLoop
import Glibc
import HTTP1

/// Accepts demo clients on one loop.
final class DemoListener: EventHandler {
    let fd: Int32
    let loop: EventLoop
    let app: DemoApp

    init(fd: Int32, loop: EventLoop, app: DemoApp) {
        self.fd = fd
        self.loop = loop
        self.app = app
    }

    func start() {
        _ = loop.register(fd, events: EventLoop.readable, handler: self)
    }

    func handleEvent(_ events: UInt32) {
        while true {
            let c = csys_accept4(fd, nil, nil)
            if c < 0 { return }
            DemoConnection(fd: c, loop: loop, app: app).start()
        }
    }
}

/// One keep-alive connection to the demo app. Bodies (Content-Length or
/// chunked) are collected whole: the demo's bodies are small.
final class DemoConnection: EventHandler {
    let fd: Int32
    let loop: EventLoop
    let app: DemoApp
    var input = ReceiveBuffer(capacity: 64 * 1024 + 4096)
    var output = SendQueue()
    var parser = RequestParser()
    var head = RequestHead()
    var headDone = false
    var body: [UInt8] = []
    var bodyLeft = 0
    var chunked: ChunkedDecoder?
    var pending: (method: String, target: String, cookie: String?, keepAlive: Bool)?
    var streamLeft = 0

    init(fd: Int32, loop: EventLoop, app: DemoApp) {
        self.fd = fd
        self.loop = loop
        self.app = app
    }

    func start() {
        _ = loop.register(fd, events: EventLoop.readable, handler: self)
    }

    func handleEvent(_ events: UInt32) {
        guard !closed else { return }
        if events & EventLoop.writable != 0 { pumpStream() }
        if events & (EventLoop.readable | EventLoop.hangup | EventLoop.error) != 0 {
            if input.freeTail == 0 { input.compact() }
            switch input.read(from: fd) {
            case .bytes(let n) where n > 0:
                serve()
            case .wouldBlock, .bytes:
                break
            default:
                finish()
                return
            }
        }
        if !closed, case .error = output.flush(to: fd) { finish() }
    }

    private func serve() {
        while streamLeft == 0 {
            if !headDone {
                let status = input.storage.withUnsafeBufferPointer { parser.parse($0, start: input.readIndex, end: input.writeIndex, into: &head) }
                switch status {
                case .needMore:
                    return
                case .failed(let e):
                    output.bytes += Array("HTTP/1.1 \(e.status) Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
                    _ = output.flush(to: fd)
                    finish()
                    return
                case .complete(let end):
                    pending = input.storage.withUnsafeBufferPointer { buf in
                        let text = { (r: Range<Int>) in String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self) }
                        let cookie = head.fields.first { $0.known == .cookie }.map { text($0.value) }
                        return (text(head.methodRange), text(head.target), cookie, head.keepAlive)
                    }
                    input.readIndex = end
                    headDone = true
                    body.removeAll()
                    bodyLeft = 0
                    chunked = nil
                    switch head.framing {
                    case .length(let n): bodyLeft = n
                    case .chunked: chunked = ChunkedDecoder()
                    default: break
                    }
                }
            }
            guard readBody() else { return }
            headDone = false
            respond()
            if input.isEmpty { input.compact() }
        }
    }

    /// True once the whole body is in `body`.
    private func readBody() -> Bool {
        if var decoder = chunked {
            defer { chunked = decoder }
            while true {
                let event = input.storage.withUnsafeBufferPointer { decoder.next($0, start: input.readIndex, end: input.writeIndex) }
                switch event {
                case .data(let r):
                    body += input.storage[r]
                    input.readIndex = r.upperBound
                case .trailer(let r):
                    input.readIndex = r.upperBound
                case .needMore:
                    input.readIndex = input.writeIndex
                    return false
                case .end(let e):
                    input.readIndex = e
                    return true
                case .failed:
                    finish()
                    return false
                }
            }
        }
        let n = min(bodyLeft, input.readable)
        body += input.storage[input.readIndex..<(input.readIndex + n)]
        input.readIndex += n
        bodyLeft -= n
        return bodyLeft == 0
    }

    private func respond() {
        guard let p = pending else { return }
        let r = app.handle(method: p.method, target: p.target, cookie: p.cookie, body: body)
        let reason = [200: "OK", 401: "Unauthorized", 404: "Not Found"][r.status] ?? "OK"
        let length = r.streamBytes > 0 ? r.streamBytes : r.body.count
        var text = "HTTP/1.1 \(r.status) \(reason)\r\nContent-Type: text/plain\r\nContent-Length: \(length)\r\nX-Backend: \(app.name)\r\n"
        for (k, v) in r.headers { text += "\(k): \(v)\r\n" }
        if !p.keepAlive { text += "Connection: close\r\n" }
        text += "\r\n"
        output.bytes += Array(text.utf8)
        output.bytes += r.body
        streamLeft = r.streamBytes
        if !p.keepAlive && streamLeft == 0 {
            _ = output.flush(to: fd)
            finish()
            return
        }
        pumpStream()
    }

    /// Writes /bytes bodies in pieces as the socket takes them.
    private func pumpStream() {
        while streamLeft > 0 && output.count < 256 * 1024 {
            let n = min(streamLeft, 64 * 1024)
            output.bytes += repeatElement(UInt8(ascii: "x"), count: n)
            streamLeft -= n
        }
        switch output.flush(to: fd) {
        case .error: finish()
        case .partial: loop.modify(fd, events: EventLoop.readable | EventLoop.writable)
        case .done where streamLeft > 0:
            // All taken and more to come: stay on writable for the next piece.
            loop.modify(fd, events: EventLoop.readable | EventLoop.writable)
        case .done:
            loop.modify(fd, events: EventLoop.readable)
            if input.readable > 0 { serve() }
        }
    }

    private var closed = false

    private func finish() {
        guard !closed else { return }
        closed = true
        loop.deregister(fd)
        close(fd)
    }
}
