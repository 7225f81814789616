import EventLoop
import Glibc

/// The socket half of an active check, shared by `HealthMonitor` (an HTTP
/// `GET`) and `StorePinger` (a Redis `PING`): a fresh non-blocking
/// connection on the checker's loop, the request written once connected, and
/// the close. What the reply means, the timeout and the schedule stay with
/// the checker, which owns the events (it is the `EventHandler`).
struct ProbeSocket {
    private(set) var fd: Int32 = -1

    enum Step {
        /// Connecting: call `connected` on the next event.
        case connecting
        /// The request is out: read the reply on the next events.
        case sent
        /// Nothing more will happen; why, for the check's detail.
        case failed(String)
    }

    /// Connects to `address` and, if that completes at once, sends `request`.
    mutating func open(_ address: SocketAddress, request: [UInt8], loop: EventLoop, handler: EventHandler) -> Step {
        switch Socket.connect(address) {
        case .failed(let e):
            return .failed("connect: \(String(cString: strerror(e)))")
        case .connected(let s):
            fd = s
            _ = loop.register(fd, events: EventLoop.readable, handler: handler)
            return send(request, loop: loop)
        case .inProgress(let s):
            fd = s
            _ = loop.register(fd, events: EventLoop.writable, handler: handler)
            return .connecting
        }
    }

    /// The first event after `.connecting`: the connect's outcome, then the request.
    mutating func connected(request: [UInt8], loop: EventLoop) -> Step {
        let err = Socket.pendingError(fd)
        if err != 0 { return .failed("connect: \(String(cString: strerror(err)))") }
        return send(request, loop: loop)
    }

    /// Requests are a few dozen bytes: one `send` takes them or the check fails.
    private func send(_ request: [UInt8], loop: EventLoop) -> Step {
        let n = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n == request.count else { return .failed("write: \(String(cString: strerror(errno)))") }
        loop.modify(fd, events: EventLoop.readable)
        return .sent
    }

    mutating func close(loop: EventLoop) {
        if fd >= 0 {
            loop.deregister(fd)
            Glibc.close(fd)
            fd = -1
        }
    }
}
