/// Size limits applied while parsing. Defaults follow common proxy practice
/// (nginx `large_client_header_buffers`, HAProxy `tune.bufsize` / `maxhdr`).
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line (method, target, version) before `414`.
    public var maxRequestLine: Int = 8 * 1024
    /// Largest header block (request line and fields) before `431`.
    public var maxHeaderBytes: Int = 64 * 1024
    /// Most header fields before `431`.
    public var maxHeaderCount: Int = 100
    /// Largest request body before `413`; `Int.max` means no limit.
    public var maxBodySize: Int = 1 << 30

    /// The most a receive buffer grows to while a head is incomplete: the
    /// largest allowed head plus room for the bytes that arrive with it in
    /// the same read (a body's start, a pipelined request), so that a head
    /// of exactly the limit is parsed, not refused for want of space.
    public var headBufferLimit: Int { maxHeaderBytes + 4096 }

    public init(
        maxRequestLine: Int = 8 * 1024, maxHeaderBytes: Int = 64 * 1024,
        maxHeaderCount: Int = 100, maxBodySize: Int = 1 << 30
    ) {
        self.maxRequestLine = maxRequestLine
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodySize = maxBodySize
    }
}
