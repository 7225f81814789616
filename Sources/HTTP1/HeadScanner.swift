/// Finds the end of a message head (the empty line) in bytes that arrive in
/// pieces, without rescanning what it has seen.
///
/// Line endings are strict: RFC 9112 §2.2 lets a recipient accept a bare LF, but
/// a proxy that accepts one while its backend does not (or the reverse) is a
/// request-smuggling vector, so a bare LF is an error here, and a CR without LF
/// is one in the start-line and field parsers.
/// Empty lines before the start line are skipped (RFC 9112 §2.2 "SHOULD ignore
/// at least one empty line"), counted against the header limit.
import Glibc

struct HeadScanner {
    /// Where the start line begins (after any leading empty lines).
    private(set) var headStart: Int = -1
    private var scanFrom: Int = -1
    private var origin: Int = 0
    private var lineStart: Int = 0
    private var startLineEnd: Int = -1
    private var lines: Int = 0

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
            // Nothing to scan yet: commit to no position. A caller that
            // consumed an interim (1xx) head and calls again with an empty
            // buffer may find the next bytes at the buffer's front instead.
            if start >= end { return .needMore }
            scanFrom = start
            origin = start
            headStart = start
            lineStart = start
        }
        let base = buf.baseAddress!
        var i = scanFrom
        defer { scanFrom = i }
        while i < end {
            // memchr finds line ends in bulk; a CR inside a line is caught by the
            // line parsers, which refuse CTLs in every part of a head.
            guard let hit = memchr(base + i, Int32(ASCII.lf), end - i) else {
                i = end
                if startLineEnd < 0, end - headStart > maxStartLine + 1 { return .failed(startLineError) }
                if end - origin > limits.maxHeaderBytes {
                    return .failed(startLineEnd < 0 ? startLineError : .headersTooLarge)
                }
                return .needMore
            }
            let lf = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
            i = lf + 1
            guard lf > lineStart, buf[lf - 1] == ASCII.cr else { return .failed(.bareLineEnding) }
            let lineEnd = lf - 1
            if i - origin > limits.maxHeaderBytes {
                return .failed(startLineEnd < 0 ? startLineError : .headersTooLarge)
            }
            if lineEnd == lineStart {
                if startLineEnd < 0 {
                    headStart = i  // leading empty line before the start line
                } else {
                    return .complete(startLineEnd: startLineEnd, headEnd: i)
                }
            } else if startLineEnd < 0 {
                if lineEnd - headStart > maxStartLine { return .failed(startLineError) }
                startLineEnd = lineEnd
            } else {
                lines += 1
                if lines > limits.maxHeaderCount { return .failed(.headersTooLarge) }
            }
            lineStart = i
        }
        return .needMore
    }
}
