/// A parsed backend response head; ranges index the backend receive buffer.
public struct ResponseHead: Sendable {
    public var headStart = 0
    public var headEnd = 0
    public var version: HTTPVersion = .http11
    public var status = 0
    /// The reason phrase (may be empty).
    public var reason: Range<Int> = 0..<0
    public var fields: [HeaderField] = []
    public var connectionTokens: [Range<Int>] = []
    public var framing: BodyFraming = .none
    /// The one Content-Length value (RFC 9112 §6.3), also where the framing
    /// has no body (HEAD, 304): forwarded once, never as it came.
    public var contentLength: Int? = nil
    /// The backend will keep the connection open after this response.
    public var keepAlive = true
    /// A `101`'s `Upgrade` field: the protocol the connection switched to.
    public var upgrade: Range<Int>? = nil

    public init() {
        fields.reserveCapacity(32)
    }

    public var isInformational: Bool { status >= 100 && status < 200 }

    mutating func clear() {
        fields.removeAll(keepingCapacity: true)
        connectionTokens.removeAll(keepingCapacity: true)
        framing = .none
        contentLength = nil
        keepAlive = true
        upgrade = nil
    }
}
