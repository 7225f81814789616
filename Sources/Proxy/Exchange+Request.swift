import Stats
import EventLoop
import HTTP1

/// The request half: parse the head, take the route, forward head and body.
extension Exchange {
    /// Parses what `input` holds as the next request's head, within
    /// `limits` (a reload may have changed them since the last request).
    mutating func parseHead(_ input: inout ReceiveBuffer, limits: HTTPLimits, now: UInt64) -> Action {
        if state == .over { nextRequest() }
        if parser.limits != limits { parser.limits = limits }
        let result = input.storage.withUnsafeBufferPointer { buf in
            parser.parse(buf, start: input.readIndex, end: input.writeIndex, into: &request)
        }
        switch result {
        case .needMore:
            return .wait
        case .failed(let error):
            return .answer(LocalAnswer(error))
        case .complete(let end):
            headEnd = end
            requestStart = now
            bytesFromClient = end - input.readIndex
            input.storage.withUnsafeBufferPointer { recordRequestLine($0) }
            state = .routing
            return .route
        }
    }

    /// The router's choice (nil: no backend can take the request). The
    /// forwarded head is written, and the client's buffer moves past the
    /// head to the body. `deadline`: when `request_timeout` ends (0: none).
    mutating func routed(
        _ route: Route?, _ input: inout ReceiveBuffer, peer: [UInt8], isTLS: Bool, trustedHop: Bool = false, emitForwarded: Bool = false,
        host: [UInt8],
        maxBody: Int, deadline: UInt64, draining: Bool
    ) -> Action {
        guard let route else { return .answer(.noBackend) }
        backendIndex = route.backend
        keyHash = route.keyHash
        sessionSince = route.since
        clearCookie = route.clearCookie
        issueCookie = route.issueCookie
        tried.append(route.backend)
        input.storage.withUnsafeBufferPointer { buf in
            peer.withUnsafeBufferPointer { address in
                host.withUnsafeBufferPointer { host in
                    requestID.withUnsafeBufferPointer { id in
                        forwarder.begin(
                            buf, request, info: .init(
                                clientAddress: address, isTLS: isTLS, fallbackHost: host, omit: route.strip, requestID: id,
                                trustedHop: trustedHop, emitForwarded: emitForwarded),
                            maxBody: maxBody)
                    }
                }
            }
        }
        input.readIndex = headEnd
        if !input.isEmpty { continueSettled = true }  // the body came without waiting for a 100
        keepAlive = request.keepAlive && !draining
        self.deadline = deadline
        state = .forwarding
        return .connect(backend: route.backend, fresh: false, carry: .head)
    }

    /// No free slot on the backend (`max_conns`): the request waits in its
    /// queue, to attach as `connect` would have.
    mutating func queued(fresh: Bool, carry: Carry) {
        state = .queued
        queuedFresh = fresh
        queuedCarry = carry
    }

    /// A slot freed up (or a reload let every waiter through).
    mutating func admitted() -> Action {
        guard state == .queued else { return .wait }
        state = .forwarding
        let carry = queuedCarry
        queuedCarry = .head
        return .connect(backend: backendIndex, fresh: queuedFresh, carry: carry)
    }

    /// A connection took the request; its bytes are queued for it.
    mutating func attached(now: UInt64, connected: Bool) {
        backendStart = now
        connectedAt = connected ? now : 0
        headAt = 0
        bytesToBackend = forwarder.head.count
    }

    /// Client bytes arrived while the request is in flight: the body,
    /// which needs no `100` any more, or a pipelined request, which waits.
    mutating func clientSent() -> Action {
        if forwarder.bodyDone { return .wait }
        continueSettled = true
        return .pumpBody
    }

    /// Relays the body bytes `input` holds into the backend's queue.
    mutating func pumpBody(_ input: inout ReceiveBuffer, into send: inout SendQueue, highWater: Int) -> RequestForwarder.Event {
        let event = forwarder.pump(&input, into: &send, highWater: highWater)
        switch event {
        case .body(let moved), .done(let moved), .failed(_, let moved):
            bytesToBackend += moved
            bytesFromClient += moved
        }
        return event
    }

    /// The body broke its framing or its size limit mid-stream.
    mutating func requestBodyFailed(_ error: HTTPParseError) -> Action {
        endWith(LocalAnswer(error))
    }

    /// The client closed its side: after a whole request, the answer still
    /// goes out (then the connection closes); mid-body, the request is lost.
    mutating func clientClosed() -> Action {
        if forwarder.bodyDone {
            keepAlive = false
            return .wait
        }
        status = 499
        end(.clientClosed)
        return .reset
    }

    /// `METHOD target HTTP/1.x` for the access log.
    private mutating func recordRequestLine(_ buf: UnsafeBufferPointer<UInt8>) {
        requestLine.removeAll(keepingCapacity: true)
        requestLine.append(buf, request.methodRange)
        requestLine.append(0x20)
        requestLine.append(buf, request.target)
        requestLine.append(static: request.version == .http11 ? " HTTP/1.1" : " HTTP/1.0")
    }

    /// After a parse error, what there is of the first line (bounded,
    /// printable), since the head never parsed.
    mutating func recordFallbackLine(_ input: ReceiveBuffer) {
        requestLine.removeAll(keepingCapacity: true)
        input.storage.withUnsafeBufferPointer { buf in
            var i = input.readIndex
            let end = min(input.writeIndex, i + 128)
            while i < end, buf[i] != 13, buf[i] != 10 {
                let c = buf[i]
                requestLine.append(c >= 0x20 && c < 0x7F && c != 0x22 ? c : 0x3F)
                i += 1
            }
        }
    }
}
