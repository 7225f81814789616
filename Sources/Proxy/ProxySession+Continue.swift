import EventLoop
import HTTP1

/// Interim (1xx) responses and `Expect: 100-continue` (RFC 9110 §10.1.1, §15.2).
///
/// Tether forwards the client's expectation and relays the backend's `100`,
/// so a backend that refuses an upload (401, 413) can say so before a byte of
/// it travels, as HAProxy does. A backend that never answers `100` (HTTP/1.0
/// servers, handlers that simply read the body) would leave every upload
/// waiting for the client's own timeout (a second for curl): so when the
/// backend has said nothing within `expect_timeout`, Tether sends the `100`
/// itself, as nginx always does. Either way the client gets at most one `100`,
/// and an HTTP/1.0 client gets no interim response at all.
extension ProxySession {
    /// Appends the interim head just parsed to the client's output, if it
    /// is for this client; returns whether it did.
    func responseInterim(_ head: ResponseHead, _ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        guard ResponsePolicy.forwardsInterim(
            status: head.status, clientVersion: request.version, expectsContinue: request.expectContinue,
            continueSettled: continueSettled)
        else { return false }
        if head.status == 100 { settleContinue() }
        MessageWriter.appendInterimHead(buf, head, into: &output.bytes)
        return true
    }

    /// The wait for `100` is over: it went out, a final answer came, or the
    /// client sends its body anyway.
    func settleContinue() {
        guard !continueSettled else { return }
        continueSettled = true
        if deadlineKind == .expect { setDeadline(bodyDeadline) }
    }

    /// What the client connection's clock runs for while a request is in
    /// flight: the body's pauses, or first the wait for a `100`.
    var bodyDeadline: DeadlineKind? {
        if forwarder.bodyDone { return nil }
        return request.expectContinue && !continueSettled ? .expect : .body
    }

    /// `expect_timeout` passed with no word from the backend: say `100` for it.
    func expectTimedOut() {
        guard phase == .exchange, !continueSettled else { return }
        output.append(static: "HTTP/1.1 100 Continue\r\n\r\n")
        settleContinue()
        flushOutput()
    }
}
