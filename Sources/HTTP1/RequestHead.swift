/// A parsed request head. Every range indexes the buffer the parser was given;
/// the head is valid only while those bytes stay where they are.
public struct RequestHead: Sendable {
    public var headStart = 0
    public var headEnd = 0
    public var method: HTTPMethod = .get
    public var methodRange: Range<Int> = 0..<0
    public var target: Range<Int> = 0..<0
    /// What goes on the backend's request line: the target itself, or for an
    /// absolute-form target (RFC 9112 §3.2.2) the part after the authority
    /// (`MessageWriter` adds the "/" an empty path needs).
    public var path: Range<Int> = 0..<0
    /// The target was absolute-form: `host` is its authority, and the
    /// client's Host field is replaced (RFC 9112 §3.2.2).
    public var absoluteForm = false
    public var version: HTTPVersion = .http11
    public var fields: [HeaderField] = []
    /// Field names listed in `Connection` (besides close / keep-alive): hop-by-hop too.
    public var connectionTokens: [Range<Int>] = []
    public var host: Range<Int>? = nil
    public var framing: BodyFraming = .none
    /// The one Content-Length value, however many identical fields carried it
    /// (RFC 9112 §6.3): forwarded once, never as it came.
    public var contentLength: Int? = nil
    public var keepAlive = true
    /// The protocols of an upgrade the proxy passes on (`Upgrade: websocket`):
    /// an HTTP/1.1 request without a body, `Connection: upgrade`, one
    /// `Upgrade` field, no `h2c`. Otherwise nil, and the fields are dropped
    /// as hop-by-hop.
    public var upgrade: Range<Int>? = nil
    public var expectContinue = false
    /// `TE: trailers`: the client takes trailer fields on a chunked response.
    public var acceptsTrailers = false

    public init() {
        fields.reserveCapacity(32)
    }

    mutating func clear() {
        fields.removeAll(keepingCapacity: true)
        connectionTokens.removeAll(keepingCapacity: true)
        host = nil
        absoluteForm = false
        framing = .none
        contentLength = nil
        keepAlive = true
        expectContinue = false
        acceptsTrailers = false
        upgrade = nil
    }
}
