/// A parsed request head. Every range indexes the buffer the parser was given;
/// the head is valid only while those bytes stay where they are.
public struct RequestHead: Sendable {
    public var headStart = 0
    public var headEnd = 0
    public var method: HTTPMethod = .get
    public var methodRange: Range<Int> = 0..<0
    public var target: Range<Int> = 0..<0
    public var version: HTTPVersion = .http11
    public var fields: [HeaderField] = []
    /// Field names listed in `Connection` (besides close / keep-alive): hop-by-hop too.
    public var connectionTokens: [Range<Int>] = []
    public var host: Range<Int>? = nil
    public var framing: BodyFraming = .none
    public var keepAlive = true
    public var expectContinue = false

    public init() {
        fields.reserveCapacity(32)
    }

    mutating func clear() {
        fields.removeAll(keepingCapacity: true)
        connectionTokens.removeAll(keepingCapacity: true)
        host = nil
        framing = .none
        keepAlive = true
        expectContinue = false
    }
}
