import EventLoop
import Glibc
import RESP

/// Watches the shared session store: every `interval`, a fresh non-blocking
/// connection sends `PING` and must read `+PONG` within `timeout`. Runs on
/// one event loop with the same socket code as the data path; state changes
/// are handed to `onChange` (which tells every loop and the log). Loop-bound:
/// only touched on `loop`, hence `@unchecked Sendable`.
public final class StorePinger: EventHandler, TimerTarget, @unchecked Sendable {
    enum Phase {
        case waiting
        case connecting
        case awaitingPong
        case stopped
    }

    public let url: String
    let address: SocketAddress
    public unowned(unsafe) let loop: EventLoop
    let interval: UInt64
    let timeout: UInt64
    let onChange: (_ up: Bool, _ error: String?) -> Void
    private(set) var up: Bool? = nil
    private var phase: Phase = .waiting
    private var socket = ProbeSocket()
    private static let ping = RESP.encode(["PING"])
    private var reply: [UInt8] = []

    public var deadline: UInt64 = 0
    public var timerSlot = -1

    public init(url: String, address: SocketAddress, loop: EventLoop, interval: UInt64, timeout: UInt64,
         onChange: @escaping (_ up: Bool, _ error: String?) -> Void) {
        self.url = url
        self.address = address
        self.loop = loop
        self.interval = interval
        self.timeout = timeout
        self.onChange = onChange
    }

    public func start() {
        check()
    }

    public func stop() {
        closeSocket()
        phase = .stopped
        deadline = 0
    }

    private func check() {
        guard phase != .stopped else { return }
        reply.removeAll(keepingCapacity: true)
        deadline = loop.now + timeout
        loop.schedule(self)
        advance(socket.open(address, request: Self.ping, loop: loop, handler: self))
    }

    private func advance(_ step: ProbeSocket.Step) {
        switch step {
        case .connecting: phase = .connecting
        case .sent: phase = .awaitingPong
        case .failed(let error): finish(up: false, error: error)
        }
    }

    public func handleEvent(_ events: UInt32) {
        switch phase {
        case .connecting:
            advance(socket.connected(request: Self.ping, loop: loop))
        case .awaitingPong:
            var buf = [UInt8](repeating: 0, count: 512)
            let n = buf.withUnsafeMutableBytes { read(socket.fd, $0.baseAddress, $0.count) }
            if n <= 0 {
                if n < 0 && errno == EAGAIN { return }
                finish(up: false, error: "connection closed before PONG")
                return
            }
            reply += buf[0..<n]
            let parsed: (RESPValue, Int)?
            do { parsed = try RESP.parse(reply[...]) } catch {
                finish(up: false, error: "malformed reply")
                return
            }
            guard let (value, _) = parsed else { return }  // need more
            if value == .simple("PONG") {
                finish(up: true, error: nil)
            } else {
                finish(up: false, error: "unexpected reply \(value)")
            }
        default:
            return
        }
    }

    public func deadlineExpired(now: UInt64) {
        switch phase {
        case .waiting:
            check()
        case .connecting, .awaitingPong:
            finish(up: false, error: "no PONG within \(timeout / 1_000_000) ms")
        case .stopped:
            return
        }
    }

    private func finish(up isUp: Bool, error: String?) {
        closeSocket()
        guard phase != .stopped else { return }
        phase = .waiting
        deadline = loop.now + interval
        loop.schedule(self)
        if up != isUp {
            up = isUp
            onChange(isUp, error)
        }
    }

    private func closeSocket() {
        socket.close(loop: loop)
    }
}
