import Stats
import EventLoop
import HTTP1

/// When the request cannot be completed: retry, fail over, answer, reset.
extension Exchange {
    /// The backend failed (the session has closed the connection). A
    /// stale pooled connection is retried fresh; a request nothing of
    /// which reached the backend, or an idempotent body-less one that got
    /// no response byte, goes to the next backend (see `RetryPolicy`);
    /// otherwise the client gets a 502/504 while it has no response byte,
    /// and a reset after.
    mutating func backendFailed(_ f: BackendFailure, _ attempt: Attempt, output: inout SendQueue) -> FailureOutcome {
        let retry = RetryPolicy.retry(
            .init(failure: f, receivedForRequest: attempt.receivedForRequest, reusedConnection: attempt.reusedConnection,
                  retriedStale: retriedStale, idempotent: request.method.isIdempotent, hasBody: request.framing != .none,
                  responseHeadDone: responseHeadDone))
        if retry == .freshConnection {
            retriedStale = true
            return FailureOutcome(action: .connect(backend: backendIndex, fresh: true, carry: .head), blamesBackend: false, note: nil)
        }
        failure = f
        switch retry {
        case .nextBackendWithQueuedBytes:
            return FailureOutcome(action: .failOver(carry: attempt.queued), blamesBackend: f.blamesBackend, note: nil)
        case .nextBackendWithHead:
            return FailureOutcome(action: .failOver(carry: .head), blamesBackend: f.blamesBackend, note: nil)
        case .freshConnection, nil:
            var outcome = giveUp(output: &output)
            outcome.blamesBackend = f.blamesBackend
            return outcome
        }
    }

    /// The router named the next backend. Sticky sessions get a new cookie,
    /// so they stay on their new backend after the old one recovers.
    mutating func failedOver(to next: Int, sticky: Bool, carry: Carry) -> Action {
        tried.append(next)
        backendIndex = next
        if sticky { issueCookie = true }
        state = .forwarding
        return .connect(backend: next, fresh: true, carry: carry)
    }

    /// No other backend may take it: answer for the failure. A response
    /// head with nothing of it written yet is taken back, so the client
    /// gets a clean 502 instead of a head promising a body that will not
    /// come; past that, the client's connection is reset.
    mutating func giveUp(output: inout SendQueue) -> FailureOutcome {
        let f = failure ?? .closed
        if responseHeadDone {
            if output.dropUnsent(after: responseStart) {
                responseHeadDone = false
                state = .forwarding
                return FailureOutcome(action: .answer(f.answer), blamesBackend: false, note: .answered(f.answer))
            }
            end(Termination.Cause(f.answer))
            return FailureOutcome(action: .reset, blamesBackend: false, note: .cut(afterBodyBytes: bytesToClient))
        }
        switch f {
        case .invalidResponse, .unrelayable:
            return FailureOutcome(action: .answer(f.answer), blamesBackend: false, note: .answered(f.answer))
        default:
            return FailureOutcome(action: .answer(f.answer), blamesBackend: false, note: nil)
        }
    }

    /// `request_timeout` passed: 504, or a reset once part of a response
    /// went out. The backend is not blamed: the limit is the operator's.
    mutating func requestTimedOut() -> Action { endWith(.requestTimeout) }

    /// The client paused its body past `client_body_timeout`.
    mutating func bodyTimedOut() -> Action { endWith(.bodyTimeout) }

    /// `queue_timeout` passed with no slot: overloaded, try again.
    mutating func queueTimedOut() -> Action { .answer(.queueTimeout) }

    /// `expect_timeout` passed with no word from the backend; returns
    /// whether Tether said `100` for it. Tether forwards the client's
    /// expectation and relays the backend's `100`, so a backend that refuses
    /// an upload (401, 413) can say so before a byte of it travels, as
    /// HAProxy does; but a backend that never answers `100` (HTTP/1.0
    /// servers, handlers that simply read the body) would leave every upload
    /// waiting for the client's own timeout (a second for curl), so past
    /// `expect_timeout` Tether says it, as nginx always does. The client
    /// gets at most one `100` (RFC 9110 §10.1.1).
    mutating func expectTimedOut(output: inout SendQueue) -> Bool {
        guard state == .forwarding || state == .queued, request.expectContinue, !continueSettled else { return false }
        output.append(static: "HTTP/1.1 100 Continue\r\n\r\n")
        continueSettled = true
        return true
    }

    /// Part of a response went out: the client's connection is reset (and
    /// the line logged with the cause); otherwise Tether answers.
    mutating func endWith(_ cause: LocalAnswer) -> Action {
        guard responseHeadDone else { return .answer(cause) }
        end(Termination.Cause(cause))
        return .reset
    }
}
