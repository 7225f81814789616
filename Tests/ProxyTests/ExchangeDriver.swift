import EventLoop
import HTTP1
import Stats

@testable import Proxy

/// An exchange with its four byte streams and no sockets: what the client
/// sends (`input`), what it gets (`output`), what the backend gets (`send`)
/// and what it answers (`backendIn`, read by a `ResponseReader` as the
/// backend connection would). It carries out actions the way the session
/// does, one call per step, so each test says what happened in which order
/// and checks the exact action the exchange answered with.
struct ExchangeDriver {
    var exchange: Exchange
    var limits: HTTPLimits
    var input = ReceiveBuffer(capacity: 16 * 1024)
    var output = SendQueue()
    var send = SendQueue()
    var backendIn = ReceiveBuffer(capacity: 16 * 1024)
    var reader = ResponseReader()
    var highWater = 256 * 1024
    var now: UInt64 = 1_000_000
    var draining = false
    /// What the client has read (see `clientReads`).
    var received: [UInt8] = []
    /// The statuses of interim heads that went to the client.
    var interimsForwarded: [Int] = []

    init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
        exchange = Exchange(limits: limits)
    }

    enum Outcome: Equatable {
        case more
        /// A `101`: the exchange's action (`.tunnel`).
        case switched(Exchange.Action)
        case finished(Exchange.Finish)
        case failed(BackendFailure)
    }

    // MARK: The client

    mutating func client(_ text: String) { input.append(text) }

    mutating func parse() -> Exchange.Action { exchange.parseHead(&input, limits: limits, now: now) }

    /// Routes the parsed request to `backend` (nil: none can take it).
    mutating func route(_ backend: Int?, keyHash: UInt64? = nil, issueCookie: Bool = false, deadline: UInt64 = 0) -> Exchange.Action {
        exchange.routed(
            backend.map { Exchange.Route(backend: $0, keyHash: keyHash, issueCookie: issueCookie) }, &input,
            peer: Array("192.0.2.7".utf8), isTLS: false, host: Array("app:8080".utf8),
            maxBody: limits.maxBodySize, deadline: deadline, draining: draining)
    }

    /// The client's next request, parsed and routed to backend 0.
    mutating func request(_ text: String, to backend: Int = 0) -> Exchange.Action {
        client(text)
        guard parse() == .route else { return .wait }
        return route(backend)
    }

    /// What `.connect` does once it has a connection: the head (or the
    /// carried bytes) into the backend's queue, then the body so far.
    @discardableResult
    mutating func attach(_ carry: Exchange.Carry = .head) -> RequestForwarder.Event {
        send = SendQueue()
        backendIn = ReceiveBuffer(capacity: 16 * 1024)
        exchange.attached(now: now, connected: true)
        switch carry {
        case .head: send.bytes += exchange.forwarder.head
        case .bytes(let b): send.bytes += b
        }
        reader.begin(method: exchange.request.method, limits: limits, upgrade: exchange.request.upgrade != nil)
        return pump()
    }

    mutating func pump() -> RequestForwarder.Event {
        exchange.pumpBody(&input, into: &send, highWater: highWater)
    }

    /// The client reads everything Tether queued for it.
    mutating func clientReads() {
        _ = output.flush { p, n in
            received += UnsafeRawBufferPointer(start: p, count: n)
            return .wrote(n)
        }
    }

    // MARK: The backend

    /// The backend sends `text`; the reader hands its events to the exchange
    /// as `BackendConnection+Exchange` does.
    mutating func backend(_ text: String) -> Outcome {
        backendIn.append(text)
        while true {
            switch reader.next(&backendIn, into: &output, highWater: highWater) {
            case .needMore:
                return .more
            case .interim:
                let forwarded = backendIn.storage.withUnsafeBufferPointer { exchange.interim(reader.head, $0, into: &output) }
                if forwarded { interimsForwarded.append(reader.head.status) }
            case .head:
                let plan = backendIn.storage.withUnsafeBufferPointer { exchange.responseHead(reader.head, $0, into: &output) }
                reader.startBody(plan)
            case .body(let moved):
                exchange.responseBody(moved: moved)
                return .more
            case .complete(let moved):
                return .finished(complete(moved))
            case .failed(let failure):
                return .failed(failure)
            case .switched:
                return .switched(backendIn.storage.withUnsafeBufferPointer { exchange.switched(reader.head, $0, into: &output) })
            }
        }
    }

    /// The backend closes its side.
    mutating func backendCloses() -> Outcome {
        switch reader.endOfStream(&backendIn, into: &output, highWater: highWater) {
        case .complete(let moved): return .finished(complete(moved))
        case .failed(let f): return .failed(f)
        default: return .more
        }
    }

    private mutating func complete(_ moved: Int) -> Exchange.Finish {
        exchange.responseComplete(moved: moved, backendReusable: reader.head.keepAlive && backendIn.isEmpty, draining: draining)
    }

    /// The backend connection failed.
    mutating func fail(_ f: BackendFailure, received: Bool = false, reused: Bool = false) -> Exchange.FailureOutcome {
        exchange.backendFailed(
            f, Exchange.Attempt(receivedForRequest: received, reusedConnection: reused, queued: .bytes(send.bytes)), output: &output)
    }

    /// Tether's own answer, as the session writes it.
    mutating func answer(_ cause: LocalAnswer) {
        var ids = RequestIDSource(loop: 0)
        exchange.writeAnswer(cause, input, into: &output, now: now, ids: &ids, makeID: false)
    }

    // MARK: Reading the streams

    var backendGot: String { String(decoding: send.bytes, as: UTF8.self) }
    var clientGets: String { String(decoding: received + output.bytes, as: UTF8.self) }
    var queuedForClient: String { String(decoding: output.bytes, as: UTF8.self) }
    var requestLine: String { String(decoding: exchange.requestLine, as: UTF8.self) }
    var leftover: String {
        input.storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[input.readIndex..<input.writeIndex]), as: UTF8.self) }
    }
}
