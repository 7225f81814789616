import Config
import HTTP1

/// What the access log and the request id take from the request head,
/// copied before the client's buffer moves on to the body.
extension Exchange {
    /// `userAgent`, `referer`: the format writes them. With `request_id` on,
    /// the exchange gets its id (a trusted client's own, or a new one).
    mutating func noteHead(
        _ buf: UnsafeBufferPointer<UInt8>, userAgent wantsAgent: Bool, referer wantsReferer: Bool,
        requestID mode: RequestIDMode, ids: inout RequestIDSource
    ) {
        var clientID: Range<Int>? = nil
        for f in request.fields {
            switch f.known {
            case .xRequestID:
                if clientID == nil { clientID = f.value }
            case .other:
                if wantsAgent && f.name.count == 10 && buf.equalsLowercased(f.name, "user-agent") && userAgent.isEmpty {
                    userAgent.append(buf, f.value)
                } else if wantsReferer && f.name.count == 7 && buf.equalsLowercased(f.name, "referer") && referer.isEmpty {
                    referer.append(buf, f.value)
                }
            default:
                break
            }
        }
        switch mode {
        case .off:
            return
        case .trust:
            if let r = clientID, RequestIDSource.acceptable(buf, r) {
                requestID.removeAll(keepingCapacity: true)
                requestID.append(buf, r)
                return
            }
            ids.next(into: &requestID)
        case .on:
            ids.next(into: &requestID)
        }
    }
}
