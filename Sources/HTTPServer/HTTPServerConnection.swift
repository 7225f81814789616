import EventLoop
import Glibc
import HTTP1

/// One connection to one of Tether's own small HTTP/1.1 servers: keep-alive,
/// one request at a time (pipelined ones wait in the buffer), bodies read
/// whole up to a limit (Content-Length or chunked), answers written as the
/// socket takes them. The proxy's own connection (`ProxySession`) relays
/// instead; this one answers, which is all the admin endpoint and the demo
/// backend need.
final class HTTPServerConnection: EventHandler, TimerTarget {
    let fd: Int32
    let server: HTTPServer
    private var input: ReceiveBuffer
    private var output = SendQueue()
    private var parser: RequestParser
    private var head = RequestHead()
    /// Set once a head is parsed, until its answer is queued.
    private var request: HTTPRequest?
    private var bodyLeft = 0
    private var chunked: ChunkedDecoder?
    /// A handler took the request and will answer through an `HTTPResponder`.
    private var waiting = false
    private var closeAfterWrite = false
    /// Bytes of a `.repeated` body still to write.
    private var repeatedLeft = 0
    private var repeatedByte: UInt8 = 0
    private var closed = false
    /// `serve` is on the stack: an answer given during it must not start another.
    private var serving = false
    private var interest = EventLoop.readable
    var deadline: UInt64 = 0
    var timerSlot = -1

    init(fd: Int32, server: HTTPServer) {
        self.fd = fd
        self.server = server
        input = ReceiveBuffer(capacity: server.limits.headBufferLimit)
        parser = RequestParser(limits: server.limits)
    }

    var loop: EventLoop { server.loop }

    func start() {
        _ = loop.register(fd, events: EventLoop.readable, handler: self)
        armIdleTimer()
    }

    func deadlineExpired(now: UInt64) { finish() }

    private func armIdleTimer() {
        guard let idle = server.idleTimeout else { return }
        deadline = loop.now + idle
        loop.schedule(self)
    }

    func handleEvent(_ events: UInt32) {
        guard !closed else { return }
        if events & EventLoop.writable != 0 { flush() }
        guard !closed, events & (EventLoop.readable | EventLoop.hangup | EventLoop.error) != 0 else { return }
        if input.freeTail == 0 { input.compact() }
        switch input.read(from: fd) {
        case .bytes(let n) where n > 0:
            serve()
        case .wouldBlock, .bytes:
            break
        case .eof, .error:
            finish()
        }
        updateInterest()
    }

    /// Readable while there is room for more request bytes (a full buffer
    /// waits for its request's answer, instead of waking the loop for
    /// nothing); writable while output is pending.
    private func updateInterest() {
        guard !closed else { return }
        if input.freeTail == 0 { input.compact() }
        var want: UInt32 = input.freeTail > 0 ? EventLoop.readable : 0
        if !output.isEmpty || repeatedLeft > 0 { want |= EventLoop.writable }
        if want != interest {
            interest = want
            loop.modify(fd, events: want)
        }
    }

    /// Parses and answers what the buffer holds, one request at a time.
    private func serve() {
        guard !serving else { return }
        serving = true
        defer { serving = false }
        while !closed && !waiting && repeatedLeft == 0 && output.isEmpty {
            if request == nil {
                let status = input.storage.withUnsafeBufferPointer { parser.parse($0, start: input.readIndex, end: input.writeIndex, into: &head) }
                switch status {
                case .needMore:
                    return
                case .failed(let e):
                    closeAfterWrite = true
                    queue(HTTPResponse(e.status, "text/plain", "bad request\n"), headOnly: false)
                    return
                case .complete(let end):
                    request = input.storage.withUnsafeBufferPointer { makeRequest($0) }
                    input.readIndex = end
                    closeAfterWrite = !head.keepAlive
                    bodyLeft = 0
                    chunked = nil
                    switch head.framing {
                    case .length(let n) where n > server.limits.maxBodySize:
                        closeAfterWrite = true
                        request = nil
                        queue(HTTPResponse(413, "text/plain", "body too large\n"), headOnly: false)
                        return
                    case .length(let n): bodyLeft = n
                    case .chunked: chunked = ChunkedDecoder(maxBodySize: server.limits.maxBodySize)
                    default: break
                    }
                }
            }
            guard readBody(), let r = request else { return }
            if input.isEmpty { input.compact() }
            waiting = true
            let responder = HTTPResponder(self)
            if let response = server.handler(r, responder) { answer(with: response) }
        }
    }

    private func makeRequest(_ buf: UnsafeBufferPointer<UInt8>) -> HTTPRequest {
        let text = { (r: Range<Int>) in String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self) }
        return HTTPRequest(
            method: text(head.methodRange), target: text(head.target),
            fields: head.fields.map { (name: text($0.name), value: text($0.value)) }, body: [])
    }

    /// Moves body bytes into the request; true once it is whole.
    private func readBody() -> Bool {
        if var decoder = chunked {
            defer { chunked = decoder }
            while true {
                let event = input.storage.withUnsafeBufferPointer { decoder.next($0, start: input.readIndex, end: input.writeIndex) }
                switch event {
                case .data(let r):
                    request?.body += input.storage[r]
                    input.readIndex = r.upperBound
                case .trailer(let r):
                    input.readIndex = r.upperBound
                case .needMore:
                    input.readIndex = input.writeIndex
                    return false
                case .end(let e):
                    input.readIndex = e
                    return true
                case .failed(let e):
                    closeAfterWrite = true
                    request = nil
                    queue(HTTPResponse(e.status, "text/plain", "bad request body\n"), headOnly: false)
                    return false
                }
            }
        }
        let n = min(bodyLeft, input.readable)
        request?.body += input.storage[input.readIndex..<(input.readIndex + n)]
        input.readIndex += n
        bodyLeft -= n
        if input.isEmpty { input.compact() }
        return bodyLeft == 0
    }

    /// The handler's answer (on this loop).
    func answer(with response: HTTPResponse) {
        guard !closed, waiting else { return }
        waiting = false
        let headOnly = request?.method == "HEAD"
        request = nil
        queue(response, headOnly: headOnly)
        if !closed { serve() }  // a pipelined request may be waiting
    }

    private func queue(_ response: HTTPResponse, headOnly: Bool) {
        output.bytes += response.head(closing: closeAfterWrite)
        if !headOnly {
            switch response.body {
            case .bytes(let b): output.bytes += b
            case .repeated(let byte, let n):
                repeatedByte = byte
                repeatedLeft = n
            }
        }
        armIdleTimer()
        flush()
    }

    private func flush() {
        while repeatedLeft > 0 && output.count < 256 * 1024 {
            let n = min(repeatedLeft, 64 * 1024)
            output.bytes += repeatElement(repeatedByte, count: n)
            repeatedLeft -= n
        }
        switch output.flush(to: fd) {
        case .error:
            return finish()
        case .done where repeatedLeft == 0:
            if closeAfterWrite { return finish() }
            if !waiting && input.readable > 0 { serve() }
        case .done, .partial:
            break
        }
        updateInterest()
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

/// Answers a request later, from any queue (the admin endpoint gathers stats
/// from every loop first): the answer is written on the connection's loop.
public struct HTTPResponder: Sendable {
    private let connection: LoopBound<HTTPServerConnection>
    private let loop: EventLoop

    init(_ connection: HTTPServerConnection) {
        self.connection = LoopBound(connection)
        self.loop = connection.loop
    }

    public func respond(_ response: HTTPResponse) {
        let c = connection
        loop.execute { c.value.answer(with: response) }
    }
}
