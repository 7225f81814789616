/// Why a message was refused. Each case maps to the status a client sees
/// (requests) or to `502` (backend responses); the proxy closes the connection
/// after any of them, because the framing of what follows is in doubt.
public enum HTTPParseError: Error, Equatable, Sendable, CaseIterable {
    /// RFC 9112 §3: not `method SP target SP version`.
    case invalidRequestLine
    /// RFC 9112 §4: not `HTTP/1.x SP 3DIGIT SP reason`.
    case invalidStatusLine
    /// RFC 9112 §2.3: only HTTP/1.0 and HTTP/1.1 are spoken here.
    case unsupportedVersion
    /// RFC 9112 §2.2: CR not followed by LF, or LF without CR.
    case bareLineEnding
    /// RFC 9112 §5.1: whitespace between field name and colon.
    case whitespaceBeforeColon
    /// RFC 9112 §5.2: obsolete line folding.
    case obsoleteLineFolding
    /// RFC 9110 §5.1, §5.5: a name that is not a token, or a CTL in a value.
    case invalidFieldName
    case invalidFieldValue
    /// RFC 9112 §3.2: HTTP/1.1 without Host, or more than one Host.
    case missingHost
    case duplicateHost
    /// RFC 9110 §7.2, RFC 3986 §3.2: a Host (or absolute-form authority)
    /// that is not `uri-host [ ":" port ]`, e.g. `1.2.3.4:9000:80`.
    case invalidHost
    /// RFC 9110 §7.1, RFC 9112 §3.2: a target with a `#fragment`, an
    /// absolute-form target that is not http(s), or one with userinfo
    /// (RFC 9110 §4.2.4).
    case invalidTarget
    /// RFC 9112 §6.3: both Content-Length and Transfer-Encoding.
    case contentLengthWithTransferEncoding
    /// RFC 9110 §8.6: not 1*DIGIT, differing values, or overflow.
    case invalidContentLength
    /// RFC 9112 §6.1: final transfer coding of a request is not chunked, or chunked twice.
    case invalidTransferEncoding
    /// RFC 9112 §6.1: a transfer coding this proxy does not implement.
    case unsupportedTransferCoding
    /// RFC 9112 §7.1: bad chunk size, overflow, bad chunk framing.
    case invalidChunk
    /// RFC 9110 §10.1.1: an expectation other than 100-continue.
    case unsupportedExpectation
    /// RFC 9110 §7.6.1: `Connection` naming Host, Content-Length or
    /// Transfer-Encoding. Removing those as hop-by-hop would forward a request
    /// without its Host, or a body without its length (found by fuzzing).
    case connectionNamesProtectedField
    /// Method this proxy will not forward (CONNECT).
    case unsupportedMethod
    /// RFC 9112 §3: request line longer than the limit.
    case requestLineTooLong
    /// RFC 6585 §5: header block or field count over the limit.
    case headersTooLarge
    /// Body larger than `maxBodySize`.
    case bodyTooLarge

    /// The status a client receives for this error.
    public var status: Int {
        switch self {
        case .requestLineTooLong: return 414
        case .headersTooLarge: return 431
        case .bodyTooLarge: return 413
        case .unsupportedTransferCoding, .unsupportedMethod: return 501
        case .unsupportedExpectation: return 417
        default: return 400
        }
    }
}
