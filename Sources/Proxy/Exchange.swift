import HTTP1
import Stats

/// One request and its response as a state machine: the session reports
/// what happened (head parsed, routed, attached, body bytes, interim or
/// final response head, body relayed, end, failure, timeout) and gets back
/// the `Action` to carry out. The rules of the exchange are here and
/// nowhere else; sockets, timers and the loop's books are the session's.
/// ProxyTests drive it with byte arrays (`ExchangeTests`), the way SwiftNIO
/// and Hummingbird test their connection state machines.
///
/// A keep-alive connection holds an exchange only while it has bytes to
/// deal with. The moment it is idle with nothing buffered, the exchange
/// goes back to the loop's `ExchangePool` with the connection's receive and
/// send buffers, so an idle connection costs its small `ProxySession` and
/// not a parser, two heads and 16 KiB of buffer. nginx does the same when a
/// connection goes keep-alive (`ngx_http_set_keepalive` frees the request
/// and its buffers). Pooled rather than freed: the next request on any
/// connection of the loop takes it back with its arrays' capacity, so the
/// data path does not allocate.
///
/// A struct the pool keeps at a fixed address (`UnsafeMutablePointer`): the
/// session reaches it through one pointer, with no reference counting on
/// each of the dozens of field accesses a request makes. (As a class, its
/// retains and releases took 12 % of the proxy's CPU under load.)
///
/// Its fields are readable by the session; only the exchange's own methods
/// (in `Exchange+*.swift`) write them, except `loadHeld` and `cookie`, the
/// session's bookkeeping of the loop, and `keepAlive` on a graceful stop.
struct Exchange {
    enum State: Equatable {
        /// Reading a request head (a fresh exchange, or the next request
        /// of a keep-alive connection).
        case head
        /// The head is parsed: the session routes it (`routed`).
        case routing
        /// Waiting in `backend`'s queue for a slot (`max_conns`).
        case queued
        /// The request is going to `backend`; no response head yet.
        case forwarding
        /// The response head went to the client; the body follows.
        case relaying
        /// The response is whole, or Tether answered, or gave up.
        case over
        /// The backend switched protocols (`101`): both connections are a
        /// byte tunnel from now on (see `Tunnel`).
        case tunnel
    }

    /// What the request sends when it attaches to a connection.
    enum Carry: Equatable {
        /// The forwarded head, then the body from the client's buffer.
        case head
        /// Bytes queued for a connection that failed before sending any:
        /// the head and the body so far.
        case bytes([UInt8])
    }

    var state = State.head
    var parser: RequestParser
    var request = RequestHead()
    var forwarder = RequestForwarder()

    // Routing: the backend, and the session's order for failover.
    var backendIndex = -1
    var keyHash: UInt64? = nil
    /// When its session began, from a dated seal (0: now or undated).
    var sessionSince: UInt32 = 0
    /// The response clears the affinity cookie (see `Route.clearCookie`).
    var clearCookie = false
    var issueCookie = false
    /// Backends tried for this request, in order.
    var tried: [Int] = []
    /// The backend whose in-flight count this request holds (-1: none).
    var loadHeld = -1
    /// Scratch for the affinity cookie (its key and its field), kept for their capacity.
    var cookie = AffinityCookieScratch()

    /// The client has the response head (it stays so when the exchange is
    /// over: the access log and the latency histogram ask).
    var responseHeadDone = false
    /// The request already met a stale pooled connection once.
    var retriedStale = false
    /// `Expect: 100-continue` needs no more waiting: a `100` went out, a
    /// final answer came, or the body came anyway.
    var continueSettled = false
    /// The client connection stays open after this response.
    var keepAlive = true
    /// Where the response head starts in the client's output, counted in
    /// bytes ever queued (`SendQueue.sent`): while nothing past it has been
    /// written, a failed response can still become a clean `502`.
    var responseStart = 0
    /// While queued: what to attach with when a slot frees.
    var queuedFresh = false
    var queuedCarry = Carry.head
    /// The failure that sent the request looking for another backend.
    var failure: BackendFailure? = nil
    /// `request_timeout`: when the exchange must be over (0: no limit).
    var deadline: UInt64 = 0
    /// Where the parsed head ends in the client's buffer (until routed).
    var headEnd = 0

    // Access-log and stats facts.
    var requestLine: [UInt8] = []
    var status = 0
    /// Why Tether answered this request itself (nil: a backend answered).
    var answer: LocalAnswer? = nil
    var bytesToClient = 0
    /// Request bytes handed to the backend (head and body).
    var bytesToBackend = 0
    var requestStart: UInt64 = 0
    var backendStart: UInt64 = 0
    /// When the backend connection was up (pooled: `backendStart`; 0: not yet).
    var connectedAt: UInt64 = 0
    /// When the response head came (0: not yet).
    var headAt: UInt64 = 0
    /// The status the backend sent (0: none).
    var upstreamStatus = 0
    /// Request bytes read from the client: the head, then the body.
    var bytesFromClient = 0
    /// The `X-Request-ID` (empty: `request_id off`).
    var requestID: [UInt8] = []
    /// Copied from the head only when the log format writes them.
    var userAgent: [UInt8] = []
    var referer: [UInt8] = []
    /// Who ended the exchange and when, if someone cut it (nil: it ends
    /// whole, `Termination.ok`). The first word stands.
    var termination: Termination? = nil
    /// The exchange has its access-log line.
    var logged = false

    /// The session's buffers while the exchange is in the pool.
    var buffers = SpareBuffers()

    init(limits: HTTPLimits) {
        parser = RequestParser(limits: limits)
        requestLine.reserveCapacity(256)
        requestID.reserveCapacity(48)
        tried.reserveCapacity(4)
    }

    var bodyDone: Bool { forwarder.bodyDone }

    /// What the client connection's clock runs for while a request is in
    /// flight: the wait for a `100`, the body's pauses, or (nil) only the
    /// whole request's limit.
    var clientDeadline: ClientDeadline? {
        if forwarder.bodyDone { return nil }
        return request.expectContinue && !continueSettled ? .expect : .body
    }

    /// Back to the state a new connection's first request finds; arrays
    /// keep their capacity. The request head is cleared by its parser when
    /// a head completes (nothing reads it before that); the spare buffers
    /// are the pool's.
    mutating func reset(limits: HTTPLimits) {
        parser = RequestParser(limits: limits)
        nextRequest()
        loadHeld = -1
    }

    /// Forgets the last request, keeping the parser (it may hold the start
    /// of the next head) and the capacity of every array.
    mutating func nextRequest() {
        state = .head
        forwarder.reset()
        backendIndex = -1
        keyHash = nil
        sessionSince = 0
        clearCookie = false
        issueCookie = false
        tried.removeAll(keepingCapacity: true)
        responseHeadDone = false
        retriedStale = false
        continueSettled = false
        keepAlive = true
        responseStart = 0
        queuedFresh = false
        queuedCarry = .head
        failure = nil
        deadline = 0
        requestLine.removeAll(keepingCapacity: true)
        status = 0
        answer = nil
        bytesToClient = 0
        bytesToBackend = 0
        requestStart = 0
        backendStart = 0
        connectedAt = 0
        headAt = 0
        upstreamStatus = 0
        bytesFromClient = 0
        requestID.removeAll(keepingCapacity: true)
        userAgent.removeAll(keepingCapacity: true)
        referer.removeAll(keepingCapacity: true)
        termination = nil
        logged = false
    }

    /// Where the exchange is, as a termination phase.
    var phase: Termination.Phase {
        switch state {
        case .head, .routing: return .request
        case .queued: return .queue
        case .forwarding:
            if connectedAt == 0 { return .connect }
            return forwarder.bodyDone ? .wait : .upload
        case .relaying: return .response
        case .tunnel: return .tunnel
        case .over: return .done
        }
    }

    /// Someone ends the exchange now: the first to say so is logged.
    mutating func end(_ cause: Termination.Cause) {
        if termination == nil { termination = Termination(cause, phase) }
    }
}

/// The affinity cookie's key and `Set-Cookie` line, rebuilt per response
/// that pins a session, in arrays that keep their capacity.
struct AffinityCookieScratch {
    var key: [UInt8] = []
    var field: [UInt8] = []
    /// `app_cookie … prefix`: `NAME=` of the application cookie, and the
    /// sealed prefix of the backend answering (both empty otherwise).
    var appAssign: [UInt8] = []
    var appPrefix: [UInt8] = []
}
