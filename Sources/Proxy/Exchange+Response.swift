import EventLoop
import HTTP1

/// The response half, as the backend connection hands it over (see
/// `BackendConnection+Exchange`): interim heads, the final head, body
/// progress, the end.
extension Exchange {
    /// An interim (1xx) head: appended to the client's output when it is
    /// for this client (see `ResponsePolicy.forwardsInterim`); returns
    /// whether it was.
    mutating func interim(_ head: ResponseHead, _ buf: UnsafeBufferPointer<UInt8>, into output: inout SendQueue) -> Bool {
        guard ResponsePolicy.forwardsInterim(
            status: head.status, clientVersion: request.version, expectsContinue: request.expectContinue,
            continueSettled: continueSettled)
        else { return false }
        if head.status == 100 { continueSettled = true }
        MessageWriter.appendInterimHead(buf, head, into: &output.bytes)
        return true
    }

    /// The final head: the client's head goes into the output, with
    /// `cookie.field` when the session must be pinned (the session fills
    /// it, or empties it). Returns how the body goes to this client.
    mutating func responseHead(_ head: ResponseHead, _ buf: UnsafeBufferPointer<UInt8>, into output: inout SendQueue) -> ResponsePolicy.Framing {
        let plan = ResponsePolicy.framing(head.framing, clientVersion: request.version, clientTakesTrailers: request.acceptsTrailers)
        // An answer before the whole body (401, 413): the rest of the body
        // will not be read, so the connection closes after it, and says so
        // (RFC 9112 §9.6).
        if plan.closesConnection || !forwarder.bodyDone { keepAlive = false }
        responseStart = output.sent + output.count
        MessageWriter.appendResponseHead(
            buf, head, clientFraming: plan.client, keepAlive: keepAlive,
            clientVersion: request.version, trailers: plan.trailers, extra: cookie.field,
            prefixing: cookie.appAssign, with: cookie.appPrefix, requestID: requestID, into: &output.bytes)
        responseHeadDone = true
        continueSettled = true  // a final answer ends any wait for 100
        status = head.status
        upstreamStatus = head.status
        state = .relaying
        return plan
    }

    /// The backend accepted the upgrade (`101`): the client gets the head
    /// (with `cookie.field`, so a new session is pinned by its first
    /// answer) and both connections become a tunnel.
    mutating func switched(_ head: ResponseHead, _ buf: UnsafeBufferPointer<UInt8>, into output: inout SendQueue) -> Action {
        MessageWriter.appendSwitchingHead(buf, head, extra: cookie.field, requestID: requestID, into: &output.bytes)
        responseHeadDone = true
        continueSettled = true
        status = 101
        upstreamStatus = 101
        keepAlive = false
        state = .tunnel
        return .tunnel
    }

    /// `moved` body bytes went to the client's output.
    mutating func responseBody(moved: Int) {
        bytesToClient += moved
    }

    /// The response is whole. `backendReusable`: the connection is clean
    /// and the backend keeps it open. Unsent request bytes (the backend
    /// answered before reading all of the body) would go out ahead of the
    /// next request, and an unread body on the client's side may never
    /// come: either way, nothing is reused.
    mutating func responseComplete(moved: Int, backendReusable: Bool, draining: Bool) -> Finish {
        bytesToClient += moved
        state = .over
        let whole = forwarder.bodyDone
        if !whole || draining { keepAlive = false }
        return Finish(reuseBackend: backendReusable && whole, keepClient: keepAlive, requestReadWhole: whole)
    }
}
