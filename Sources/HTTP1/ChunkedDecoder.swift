/// Incremental decoder for the chunked transfer coding (RFC 9112 §7.1).
///
/// It hands back the data inside chunks, and the trailer section's field lines,
/// as ranges of the input, so the proxy can re-frame them itself: extensions
/// are validated and dropped, trailer lines are validated (a name, a colon, a
/// clean value, CRLF) and passed on or dropped by the caller, and nothing the
/// next hop receives depends on how the sender spelled its framing.
public struct ChunkedDecoder: Sendable {
    enum State: Sendable {
        case size
        case sizeBWS
        case extensions
        case sizeLF
        case data
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerName
        case trailerLine
        case trailerLF
        case finalLF
        case done
    }

    public enum Event: Equatable, Sendable {
        /// Chunk data at `range`; call again from `range.upperBound`.
        case data(Range<Int>)
        /// Validated bytes of trailer field lines (with their CRLFs), after the
        /// last chunk; call again from `range.upperBound`. A line may come in
        /// several pieces when input arrives in pieces.
        case trailer(Range<Int>)
        /// Every byte up to `end` was consumed; more input is needed.
        case needMore
        /// The last chunk and trailer section ended at `end` (exclusive).
        case end(Int)
        case failed(HTTPParseError)
    }

    private var state: State = .size
    private var chunkSize = 0
    private var sizeDigits = 0
    private var remaining = 0
    private var trailerBytes = 0
    /// Total decoded body bytes so far (for the body-size limit).
    public private(set) var bodyBytes = 0
    public var maxBodySize: Int
    public var maxTrailerBytes: Int

    public init(maxBodySize: Int = Int.max, maxTrailerBytes: Int = 64 * 1024) {
        self.maxBodySize = maxBodySize
        self.maxTrailerBytes = maxTrailerBytes
    }

    public var isDone: Bool { if case .done = state { return true } else { return false } }

    /// Decodes from `start` to `end`; returns at the first data range, at the end
    /// of the body, or when input runs out.
    public mutating func next(_ buf: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> Event {
        var i = start
        /// Where this call's run of trailer bytes began (-1: none yet).
        var trailerRun = -1
        switch state {
        case .trailerName, .trailerLine, .trailerLF: trailerRun = start
        default: break
        }
        while i < end {
            let c = buf[i]
            switch state {
            case .size:
                if let h = ASCII.hexValue(c) {
                    // 15 hex digits keep the size below 2^60: no overflow anywhere downstream.
                    sizeDigits += 1
                    if sizeDigits > 15 { return .failed(.invalidChunk) }
                    chunkSize = chunkSize << 4 | h
                } else if sizeDigits == 0 {
                    return .failed(.invalidChunk)
                } else if c == ASCII.cr {
                    state = .sizeLF
                } else if c == ASCII.semicolon {
                    state = .extensions
                } else if ASCII.isWhitespace(c) {
                    state = .sizeBWS
                } else {
                    return .failed(.invalidChunk)
                }
                i += 1
            case .sizeBWS:
                if c == ASCII.semicolon {
                    state = .extensions
                } else if !ASCII.isWhitespace(c) {
                    return .failed(.invalidChunk)
                }
                i += 1
            case .extensions:
                if c == ASCII.cr {
                    state = .sizeLF
                } else if !ASCII.isFieldValueChar(c) {
                    return .failed(.invalidChunk)
                } else {
                    trailerBytes += 1
                    if trailerBytes > maxTrailerBytes { return .failed(.invalidChunk) }
                }
                i += 1
            case .sizeLF:
                guard c == ASCII.lf else { return .failed(.invalidChunk) }
                i += 1
                if chunkSize == 0 {
                    state = .trailerLineStart
                } else {
                    bodyBytes += chunkSize
                    if bodyBytes > maxBodySize { return .failed(.bodyTooLarge) }
                    remaining = chunkSize
                    state = .data
                }
                chunkSize = 0
                sizeDigits = 0
            case .data:
                let n = min(remaining, end - i)
                remaining -= n
                if remaining == 0 { state = .dataCR }
                return .data(i..<(i + n))
            case .dataCR:
                guard c == ASCII.cr else { return .failed(.invalidChunk) }
                state = .dataLF
                i += 1
            case .dataLF:
                guard c == ASCII.lf else { return .failed(.invalidChunk) }
                state = .size
                i += 1
            case .trailerLineStart:
                if c == ASCII.cr {
                    // The lines so far go out before the end is reported.
                    if trailerRun >= 0 { return .trailer(trailerRun..<i) }
                    state = .finalLF
                } else if !ASCII.isTChar(c) {
                    return .failed(.invalidChunk)  // obs-fold or a malformed trailer name
                } else {
                    if trailerRun < 0 { trailerRun = i }
                    state = .trailerName
                }
                trailerBytes += 1
                if trailerBytes > maxTrailerBytes { return .failed(.headersTooLarge) }
                i += 1
            case .trailerName:
                if c == ASCII.colon {
                    state = .trailerLine
                } else if !ASCII.isTChar(c) {
                    return .failed(.invalidChunk)  // RFC 9112 §5.1: no whitespace before the colon
                }
                trailerBytes += 1
                if trailerBytes > maxTrailerBytes { return .failed(.headersTooLarge) }
                i += 1
            case .trailerLine:
                if c == ASCII.cr {
                    state = .trailerLF
                } else if !ASCII.isFieldValueChar(c) {
                    return .failed(.invalidChunk)
                }
                trailerBytes += 1
                if trailerBytes > maxTrailerBytes { return .failed(.headersTooLarge) }
                i += 1
            case .trailerLF:
                guard c == ASCII.lf else { return .failed(.invalidChunk) }
                state = .trailerLineStart
                i += 1
            case .finalLF:
                guard c == ASCII.lf else { return .failed(.invalidChunk) }
                state = .done
                return .end(i + 1)
            case .done:
                return .end(i)
            }
        }
        if case .done = state { return .end(i) }
        if trailerRun >= 0 && trailerRun < end { return .trailer(trailerRun..<end) }
        return .needMore
    }
}
