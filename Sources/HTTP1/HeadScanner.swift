/// Finds the end of a message head (the empty line) in bytes that arrive in
/// pieces, without rescanning what it has seen.
///
/// Line endings are strict: RFC 9112 §2.2 lets a recipient accept a bare LF, but
/// a proxy that accepts one while its backend does not (or the reverse) is a
/// request-smuggling vector, so both a bare LF and a CR without LF are errors.
/// Empty lines before the start line are skipped (RFC 9112 §2.2 "SHOULD ignore
/// at least one empty line"), counted against the header limit.
struct HeadScanner {
    /// Where the start line begins (after any leading empty lines).
    private(set) var headStart: Int = -1
    private var scanFrom: Int = -1
    private var origin: Int = 0
    private var lineStart: Int = 0
    private var startLineEnd: Int = -1
    private var lines: Int = 0
    private var prevCR = false

    enum Outcome {
        case needMore
        /// `startLineEnd` is the index of the CR ending the start line;
        /// `headEnd` the index after the final CRLF.
        case complete(startLineEnd: Int, headEnd: Int)
        case failed(HTTPParseError)
    }

    mutating func reset() { self = HeadScanner() }

    mutating func scan(
        _ buf: UnsafeBufferPointer<UInt8>, start: Int, end: Int,
        maxStartLine: Int, startLineError: HTTPParseError, limits: HTTPLimits
    ) -> Outcome {
        if scanFrom < 0 {
            scanFrom = start
            origin = start
            headStart = start
            lineStart = start
        }
        var i = scanFrom
        defer { scanFrom = i }
        while i < end {
            let c = buf[i]
            if prevCR {
                guard c == ASCII.lf else { return .failed(.bareLineEnding) }
                prevCR = false
                let lineEnd = i - 1
                if lineEnd == lineStart {
                    if startLineEnd < 0 {
                        // Leading empty line before the start line.
                        headStart = i + 1
                    } else {
                        i += 1
                        return .complete(startLineEnd: startLineEnd, headEnd: i)
                    }
                } else if startLineEnd < 0 {
                    startLineEnd = lineEnd
                } else {
                    lines += 1
                    if lines > limits.maxHeaderCount { return .failed(.headersTooLarge) }
                }
                lineStart = i + 1
            } else if c == ASCII.cr {
                prevCR = true
            } else if c == ASCII.lf {
                return .failed(.bareLineEnding)
            }
            i += 1
            if startLineEnd < 0, i - headStart > maxStartLine { return .failed(startLineError) }
            if i - origin > limits.maxHeaderBytes {
                return .failed(startLineEnd < 0 ? startLineError : .headersTooLarge)
            }
        }
        return .needMore
    }
}
