import EventLoop
import HTTP1

/// The per-request state lives in an `Exchange` the session borrows from its
/// loop's pool when bytes arrive and gives back as soon as it is idle with
/// nothing buffered (see `Exchange` for why). The session's code reads that
/// state through the forwarding properties below as if it were its own, so
/// the request story in `+Request`, `+Response` and `+Failure` does not have
/// to know which object holds what.
extension ProxySession {
    /// The current exchange. Reading it never borrows one: the session
    /// borrows explicitly where a request's state begins (bytes arrive, or
    /// Tether answers a connection that sent none), so a getter cannot
    /// allocate 16 KiB for a session that is closing. Debug builds (the
    /// test suite) trap on a read without one; release builds borrow rather
    /// than crash.
    @inline(__always)
    var exchange: UnsafeMutablePointer<Exchange> {
        if let e = held { return e }
        assertionFailure("request state read with no exchange borrowed")
        return borrowExchange()
    }

    /// Takes an exchange and buffers from the loop, unless one is held.
    @inline(never) @discardableResult
    func borrowExchange() -> UnsafeMutablePointer<Exchange> {
        if let e = held { return e }
        let e = ctx.exchanges.take(limits: runtime.config.limits)
        held = e
        e.pointee.buffers.lend(to: &input, &output, bufferSize: runtime.receiveBufferSize)
        return e
    }

    /// Between requests with nothing buffered either way: the exchange and
    /// both buffers go back to the loop. Called wherever a session becomes
    /// idle; does nothing otherwise.
    func returnExchangeIfIdle() {
        guard phase == .idle, input.isEmpty, output.isEmpty, backend == nil else { return }
        giveBackExchange()
    }

    /// The exchange and both buffers back to the loop (no request in progress).
    func giveBackExchange() {
        guard let e = held else { return }
        held = nil
        ctx.exchanges.give(e, SpareBuffers(from: &input, &output, bufferSize: runtime.receiveBufferSize))
    }

    // MARK: The exchange's state, as the session's own

    var forwarder: RequestForwarder {
        _read { yield exchange.pointee.forwarder }
        _modify { yield &exchange.pointee.forwarder }
    }

    var parser: RequestParser {
        _read { yield exchange.pointee.parser }
        _modify { yield &exchange.pointee.parser }
    }

    var request: RequestHead {
        _read { yield exchange.pointee.request }
        _modify { yield &exchange.pointee.request }
    }

    var backendIndex: Int {
        _read { yield exchange.pointee.backendIndex }
        _modify { yield &exchange.pointee.backendIndex }
    }

    var keyHash: UInt64? {
        _read { yield exchange.pointee.keyHash }
        _modify { yield &exchange.pointee.keyHash }
    }

    var issueCookie: Bool {
        _read { yield exchange.pointee.issueCookie }
        _modify { yield &exchange.pointee.issueCookie }
    }

    var tried: [Int] {
        _read { yield exchange.pointee.tried }
        _modify { yield &exchange.pointee.tried }
    }

    var loadHeld: Int {
        _read { yield exchange.pointee.loadHeld }
        _modify { yield &exchange.pointee.loadHeld }
    }

    var sessionKey: [UInt8] {
        _read { yield exchange.pointee.sessionKey }
        _modify { yield &exchange.pointee.sessionKey }
    }

    var extraFields: [UInt8] {
        _read { yield exchange.pointee.extraFields }
        _modify { yield &exchange.pointee.extraFields }
    }

    var bytesToBackend: Int {
        _read { yield exchange.pointee.bytesToBackend }
        _modify { yield &exchange.pointee.bytesToBackend }
    }

    var retriedStale: Bool {
        _read { yield exchange.pointee.retriedStale }
        _modify { yield &exchange.pointee.retriedStale }
    }

    var responseHeadDone: Bool {
        _read { yield exchange.pointee.responseHeadDone }
        _modify { yield &exchange.pointee.responseHeadDone }
    }

    var continueSettled: Bool {
        _read { yield exchange.pointee.continueSettled }
        _modify { yield &exchange.pointee.continueSettled }
    }

    var responseStart: Int {
        _read { yield exchange.pointee.responseStart }
        _modify { yield &exchange.pointee.responseStart }
    }

    var queuedFresh: Bool {
        _read { yield exchange.pointee.queuedFresh }
        _modify { yield &exchange.pointee.queuedFresh }
    }

    var queuedCarry: [UInt8]? {
        _read { yield exchange.pointee.queuedCarry }
        _modify { yield &exchange.pointee.queuedCarry }
    }

    var exchangeDeadline: UInt64 {
        _read { yield exchange.pointee.deadline }
        _modify { yield &exchange.pointee.deadline }
    }

    var requestLine: [UInt8] {
        _read { yield exchange.pointee.requestLine }
        _modify { yield &exchange.pointee.requestLine }
    }

    var status: Int {
        _read { yield exchange.pointee.status }
        _modify { yield &exchange.pointee.status }
    }

    var bytesToClient: Int {
        _read { yield exchange.pointee.bytesToClient }
        _modify { yield &exchange.pointee.bytesToClient }
    }

    var requestStart: UInt64 {
        _read { yield exchange.pointee.requestStart }
        _modify { yield &exchange.pointee.requestStart }
    }

    var backendStart: UInt64 {
        _read { yield exchange.pointee.backendStart }
        _modify { yield &exchange.pointee.backendStart }
    }
}
