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

/// One keep-alive connection to the demo app (requests without bodies; a
/// body, if any, is read and ignored).
final class DemoConnection: EventHandler {
    let fd: Int32
    let loop: EventLoop
    let app: DemoApp
    var input = ReceiveBuffer(capacity: 64 * 1024 + 4096)
    var output = SendQueue()
    var parser = RequestParser()
    var head = RequestHead()
    var bodyLeft = 0

    init(fd: Int32, loop: EventLoop, app: DemoApp) {
        self.fd = fd
        self.loop = loop
        self.app = app
    }

    func start() {
        _ = loop.register(fd, events: EventLoop.readable, handler: self)
    }

    func handleEvent(_ events: UInt32) {
        switch input.read(from: fd) {
        case .bytes(let n) where n > 0:
            serve()
        case .wouldBlock:
            break
        default:
            finish()
            return
        }
        if case .error = output.flush(to: fd) { finish() }
    }

    private func serve() {
        while true {
            if bodyLeft > 0 {
                let n = min(bodyLeft, input.readable)
                input.readIndex += n
                bodyLeft -= n
                if bodyLeft > 0 { return }
            }
            let status = input.storage.withUnsafeBufferPointer { parser.parse($0, start: input.readIndex, end: input.writeIndex, into: &head) }
            switch status {
            case .needMore:
                return
            case .failed(let e):
                output.bytes.append(contentsOf: Array("HTTP/1.1 \(e.status) Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
                _ = output.flush(to: fd)
                finish()
                return
            case .complete(let end):
                let (method, target, cookie) = input.storage.withUnsafeBufferPointer { buf -> (String, String, String?) in
                    let m = String(decoding: UnsafeBufferPointer(rebasing: buf[head.methodRange]), as: UTF8.self)
                    let t = String(decoding: UnsafeBufferPointer(rebasing: buf[head.target]), as: UTF8.self)
                    let c = head.fields.first { $0.known == .cookie }.map {
                        String(decoding: UnsafeBufferPointer(rebasing: buf[$0.value]), as: UTF8.self)
                    }
                    return (m, t, c)
                }
                if case .length(let n) = head.framing { bodyLeft = n }
                input.readIndex = end
                let r = app.handle(method: method, target: target, cookie: cookie)
                var text = "HTTP/1.1 \(r.status) \(r.status == 200 ? "OK" : "Unauthorized")\r\nContent-Type: text/plain\r\nContent-Length: \(r.body.utf8.count)\r\nX-Served-By: \(app.name)\r\n"
                for (k, v) in r.headers { text += "\(k): \(v)\r\n" }
                text += "\r\n" + r.body
                output.bytes.append(contentsOf: Array(text.utf8))
                if !head.keepAlive {
                    _ = output.flush(to: fd)
                    finish()
                    return
                }
                if input.isEmpty { input.compact() }
            }
        }
    }

    private func finish() {
        loop.deregister(fd)
        close(fd)
    }
}
