/// The methods the proxy distinguishes: HEAD changes response framing, the
/// idempotent ones may be retried (RFC 9110 §9.2.2), CONNECT is refused.
public enum HTTPMethod: UInt8, Sendable {
    case get, head, post, put, delete, options, trace, patch, connect, other

    @inlinable
    public var isIdempotent: Bool {
        switch self {
        case .get, .head, .put, .delete, .options, .trace: return true
        default: return false
        }
    }

    static func classify(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> HTTPMethod {
        // Methods are case-sensitive (RFC 9110 §9.1).
        @inline(__always) func eq(_ lit: StaticString) -> Bool {
            guard r.count == lit.utf8CodeUnitCount else { return false }
            let p = lit.utf8Start
            var k = 0
            for i in r {
                if buf[i] != p[k] { return false }
                k += 1
            }
            return true
        }
        switch r.count {
        case 3: return eq("GET") ? .get : (eq("PUT") ? .put : .other)
        case 4: return eq("POST") ? .post : (eq("HEAD") ? .head : .other)
        case 5: return eq("PATCH") ? .patch : (eq("TRACE") ? .trace : .other)
        case 6: return eq("DELETE") ? .delete : .other
        case 7: return eq("OPTIONS") ? .options : (eq("CONNECT") ? .connect : .other)
        default: return .other
        }
    }
}
