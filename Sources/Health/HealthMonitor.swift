import EventLoop
import Glibc
import HTTP1
import Stats
import Synchronization

/// The health of one backend: active `GET` checks on one event loop (the same
/// non-blocking sockets and response parser as the data path), the rise/fall
/// state machine, and passive failures reported by any loop. State changes are
/// broadcast to every loop; a snapshot is kept for the admin endpoint.
///
/// Loop-bound: touched only on `loop` (hence `@unchecked Sendable`), except
/// `snapshot`, which is behind a mutex.
public final class HealthMonitor: EventHandler, TimerTarget, @unchecked Sendable {
    enum Phase {
        case waiting, connecting, awaitingResponse, stopped
    }

    /// What the admin endpoint shows.
    public struct Snapshot: Sendable {
        public var up = true
        public var sinceWall = Clock.wallSeconds()
        public var lastCheck: CheckResult? = nil
        public var history: [CheckResult] = []
    }

    public let name: String
    public let address: SocketAddress
    public unowned(unsafe) let loop: EventLoop
    public private(set) var settings: HealthCheckSettings
    /// Called on `loop` with (up, since-monotonic) after every state change.
    public var onChange: (Bool, UInt64, String) -> Void = { _, _, _ in }

    private var state = RiseFall()
    private var phase: Phase = .waiting
    private var socket = ProbeSocket()
    private var started: UInt64 = 0
    private var input = ReceiveBuffer(capacity: 4096)
    private var parser = ResponseParser()
    private var head = ResponseHead()
    private var request: [UInt8] = []
    private let shared = Mutex(Snapshot())

    public var deadline: UInt64 = 0
    public var timerSlot = -1

    public init(name: String, address: SocketAddress, loop: EventLoop, settings: HealthCheckSettings) {
        self.name = name
        self.address = address
        self.loop = loop
        self.settings = settings
        buildRequest()
    }

    public var snapshot: Snapshot { shared.withLock { $0 } }

    private func buildRequest() {
        request = Array("GET \(settings.path) HTTP/1.1\r\nHost: \(settings.host)\r\nUser-Agent: tether-health-check\r\nConnection: close\r\n\r\n".utf8)
    }

    /// Starts checking after a random fraction of the interval, so that the
    /// checks of many backends do not fire together.
    public func start() {
        phase = .waiting
        guard settings.enabled else { return }
        deadline = loop.now + UInt64.random(in: 0...settings.interval)
        loop.schedule(self)
    }

    public func update(_ new: HealthCheckSettings) {
        let wasEnabled = settings.enabled
        settings = new
        buildRequest()
        if !wasEnabled && new.enabled && phase == .waiting && deadline == 0 { start() }
    }

    public func stop() {
        closeSocket()
        phase = .stopped
        deadline = 0
    }

    // MARK: Passive failures (from any loop, delivered on this one)

    /// A loop saw `fall` failures in a row on the data path: down at once.
    public func passiveDown(_ reason: String) {
        guard phase != .stopped else { return }
        if state.forceDown(fall: settings.fall) { changed(reason: "passive: \(reason)") }
        if !settings.enabled {
            // Nothing would ever bring it back: retry optimistically after an interval.
            deadline = loop.now + settings.interval
            loop.schedule(self)
        }
    }

    // MARK: Active checks

    private func check() {
        guard phase != .stopped else { return }
        input.readIndex = input.writeIndex
        input.compact()
        parser.reset()
        started = Clock.monotonicNanos()
        deadline = loop.now + settings.timeout
        loop.schedule(self)
        advance(socket.open(address, request: request, loop: loop, handler: self))
    }

    private func advance(_ step: ProbeSocket.Step) {
        switch step {
        case .connecting: phase = .connecting
        case .sent: phase = .awaitingResponse
        case .failed(let detail): finish(ok: false, status: 0, detail: detail)
        }
    }

    public func handleEvent(_ events: UInt32) {
        switch phase {
        case .connecting:
            advance(socket.connected(request: request, loop: loop))
        case .awaitingResponse:
            switch input.read(from: socket.fd) {
            case .bytes(let n) where n > 0:
                let status = input.storage.withUnsafeBufferPointer {
                    parser.parse($0, start: input.readIndex, end: input.writeIndex, requestMethod: .get, into: &head)
                }
                switch status {
                case .needMore:
                    if input.freeTail == 0 { finish(ok: false, status: 0, detail: "response head too large") }
                case .failed:
                    finish(ok: false, status: 0, detail: "invalid response")
                case .complete:
                    let ok = head.status >= settings.statusLow && head.status <= settings.statusHigh
                    finish(ok: ok, status: head.status, detail: ok ? "ok" : "status \(head.status)")
                }
            case .wouldBlock, .bytes:
                return
            case .eof:
                finish(ok: false, status: 0, detail: "closed before a response")
            case .error(let e):
                finish(ok: false, status: 0, detail: "read: \(String(cString: strerror(e)))")
            }
        default:
            return
        }
    }

    public func deadlineExpired(now: UInt64) {
        switch phase {
        case .waiting:
            if settings.enabled {
                check()
            } else if state.forceUp(rise: settings.rise) {
                changed(reason: "retrying after a passive failure (checks are off)")
            }
        case .connecting, .awaitingResponse:
            finish(ok: false, status: 0, detail: "timeout after \(settings.timeout / 1_000_000) ms")
        case .stopped:
            return
        }
    }

    private func finish(ok: Bool, status: Int, detail: String) {
        closeSocket()
        guard phase != .stopped else { return }
        phase = .waiting
        let latency = Double(Clock.monotonicNanos() - started) / 1_000_000
        let result = CheckResult(ok: ok, status: status, latencyMillis: latency, detail: detail, at: Clock.wallSeconds())
        shared.withLock {
            $0.lastCheck = result
            $0.history.append(result)
            if $0.history.count > 10 { $0.history.removeFirst() }
        }
        switch state.record(ok: ok, rise: settings.rise, fall: settings.fall) {
        case .up(let n): changed(reason: "\(n) checks passed")
        case .down(let n): changed(reason: "\(n) checks failed, last: \(detail)")
        case .none: break
        }
        // Next check after the interval, ±10 % so checks drift apart.
        let jitter = settings.interval / 10
        deadline = loop.now + settings.interval - jitter + UInt64.random(in: 0...(2 * jitter))
        loop.schedule(self)
    }

    /// `state.up` just changed: tell the admin snapshot and the loops.
    private func changed(reason: String) {
        let isUp = state.up
        shared.withLock {
            $0.up = isUp
            $0.sinceWall = Clock.wallSeconds()
        }
        onChange(isUp, loop.now, reason)
    }

    private func closeSocket() {
        socket.close(loop: loop)
    }
}
