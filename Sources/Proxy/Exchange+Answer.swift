import Stats
import EventLoop
import HTTP1

/// Tether's own responses: errors (`ErrorResponse`) and the redirect to
/// https. Each closes the connection.
extension Exchange {
    /// Writes the response for an `.answer(cause)`. With no request parsed
    /// (a head that failed to parse, a `408` for one that never came) the
    /// access log gets what there is of the first line.
    mutating func writeAnswer(
        _ cause: LocalAnswer, _ input: ReceiveBuffer, into output: inout SendQueue, now: UInt64, ids: inout RequestIDSource, makeID: Bool
    ) {
        if state == .head || state == .over {
            nextRequest()
            requestStart = now
            recordFallbackLine(input)
        }
        end(Termination.Cause(cause))
        if makeID && requestID.isEmpty { ids.next(into: &requestID) }
        let bytes = ErrorResponse.bytes(status: cause.status)
        status = cause.status
        answer = cause
        bytesToClient = ErrorResponse.bodyLength(bytes)
        ErrorResponse.append(bytes, requestID: requestID, into: &output.bytes)
        keepAlive = false
        state = .over
    }

    /// `listen … redirect_https`: every request goes to the same host and
    /// path over https, as nginx's `return 301 https://$host$request_uri`.
    /// 301 keeps the old habit for GET and HEAD; 308 tells every other
    /// method to repeat itself, body and all, at the new address. The body
    /// (if any) is not read: closing is the only safe framing.
    mutating func redirect(_ input: ReceiveBuffer, portSuffix: [UInt8], into output: inout SendQueue) -> Action {
        let done: Bool = input.storage.withUnsafeBufferPointer { buf in
            guard let host = HTTPSRedirect.host(buf, request) else { return false }
            let safe = request.method == .get || request.method == .head
            status = safe ? 301 : 308
            HTTPSRedirect.append(buf, request, host: host, portSuffix: portSuffix, permanentForAnyMethod: !safe, into: &output)
            return true
        }
        guard done else { return .answer(.badHost) }  // no Host (or a Host no URL can carry)
        end(.redirect)
        bytesToClient = 0
        keepAlive = false
        state = .over
        return .answered
    }
}
