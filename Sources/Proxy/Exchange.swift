import HTTP1

/// Everything one request needs from its first byte to its response's last:
/// the request's parser state, head and body relay, routing, queueing and
/// the access-log facts, plus (while pooled) the connection's receive and
/// send buffers. (The response is parsed by the backend connection that
/// reads it.)
///
/// A keep-alive connection holds an exchange only while it has bytes to deal
/// with (see `ProxySession.exchange`). The moment it is idle with nothing
/// buffered, the exchange and the buffers go back to the loop's
/// `ExchangePool`, so an idle connection costs its small `ProxySession` and
/// not a parser, two heads and 16 KiB of buffer. nginx does the same when a
/// connection goes keep-alive (`ngx_http_set_keepalive` frees the request and
/// its buffers). Pooled rather than freed: the next request on any connection
/// of the loop takes it back with its arrays' capacity, so the data path does
/// not allocate, and freed buffers do not leave holes between long-lived
/// session objects that the heap could never give back.
///
/// A struct the pool keeps at a fixed address (`UnsafeMutablePointer`): the
/// session reaches it through one pointer, with no reference counting on
/// each of the dozens of field accesses a request makes. (As a class, its
/// retains and releases took 12 % of the proxy's CPU under load.) Only the
/// session holding the pointer uses it, so nobody can observe its reuse.
struct Exchange {
    var parser: RequestParser
    var request = RequestHead()
    var forwarder = RequestForwarder()
    var backendIndex = -1

    // Routing of the request (see Router and ProxySession+Routing).
    var keyHash: UInt64? = nil
    var issueCookie = false
    /// Backends tried for this request, in order.
    var tried: [Int] = []
    /// The backend whose in-flight count this request holds (-1: none).
    var loadHeld = -1
    var sessionKey: [UInt8] = []
    var extraFields: [UInt8] = []
    /// Request bytes handed to the backend (head and body), for stats.
    var bytesToBackend = 0

    var retriedStale = false
    var responseHeadDone = false
    /// `Expect: 100-continue` needs no more waiting (see `+Continue`).
    var continueSettled = false
    /// Where the response head starts in the client's output, counted in
    /// bytes ever queued (`SendQueue.sent`): while nothing past it has been
    /// written, a failed response can still become a clean `502`.
    var responseStart = 0
    /// While waiting in a backend's queue (see `+Queue`; the backend is the session's `queuedOn`).
    var queuedFresh = false
    var queuedCarry: [UInt8]? = nil
    /// `request_timeout`: when the exchange must be over (0: no limit).
    var deadline: UInt64 = 0

    // Access-log facts.
    var requestLine: [UInt8] = []
    var status = 0
    var bytesToClient = 0
    var requestStart: UInt64 = 0
    var backendStart: UInt64 = 0

    /// The session's buffers while the exchange is in the pool.
    var buffers = SpareBuffers()

    init(limits: HTTPLimits) {
        parser = RequestParser(limits: limits)
        requestLine.reserveCapacity(256)
    }

    /// Back to the state a new connection's first request finds; arrays keep
    /// their capacity. Every stored property above is named here except the
    /// two heads, which their parsers clear when a head completes (nothing
    /// reads a head before that), and the spare buffers, which are the pool's.
    mutating func reset(limits: HTTPLimits) {
        parser = RequestParser(limits: limits)
        forwarder.reset()
        backendIndex = -1
        keyHash = nil
        issueCookie = false
        tried.removeAll(keepingCapacity: true)
        loadHeld = -1
        sessionKey.removeAll(keepingCapacity: true)
        extraFields.removeAll(keepingCapacity: true)
        bytesToBackend = 0
        retriedStale = false
        responseHeadDone = false
        continueSettled = false
        responseStart = 0
        queuedFresh = false
        queuedCarry = nil
        deadline = 0
        requestLine.removeAll(keepingCapacity: true)
        status = 0
        bytesToClient = 0
        requestStart = 0
        backendStart = 0
    }
}
