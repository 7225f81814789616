/// Byte classes from RFC 9110 §5.6.2 (token) and §5.5 (field values).
///
/// Switches compile to jump tables; they avoid the lazy global initialiser that a
/// lookup table in a `let` would cost on every call.
@usableFromInline
enum ASCII {
    @usableFromInline static let cr: UInt8 = 13
    @usableFromInline static let lf: UInt8 = 10
    @usableFromInline static let sp: UInt8 = 32
    @usableFromInline static let htab: UInt8 = 9
    @usableFromInline static let colon: UInt8 = 58
    @usableFromInline static let comma: UInt8 = 44
    @usableFromInline static let semicolon: UInt8 = 59

    @inlinable @inline(__always)
    static func isTChar(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E:
            return true
        default: return false
        }
    }

    /// field-vchar, SP, HTAB, obs-text. Everything else (CTLs, DEL) is rejected:
    /// a NUL or bare CR inside a value is read differently by different servers.
    @inlinable @inline(__always)
    static func isFieldValueChar(_ c: UInt8) -> Bool {
        c == htab || (c >= 0x20 && c != 0x7F)
    }

    /// request-target characters: visible ASCII only (no obs-text, no CTLs, no SP).
    @inlinable @inline(__always)
    static func isTargetChar(_ c: UInt8) -> Bool { c > 0x20 && c < 0x7F }

    @inlinable @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    @inlinable @inline(__always)
    static func isWhitespace(_ c: UInt8) -> Bool { c == sp || c == htab }

    @inlinable @inline(__always)
    static func lower(_ c: UInt8) -> UInt8 { (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c }

    @inlinable @inline(__always)
    static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        default: return nil
        }
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Case-insensitive comparison of `self[range]` with a lower-case ASCII literal.
    @inlinable
    public func equalsLowercased(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        var i = 0
        for j in range {
            if ASCII.lower(self[j]) != lit[i] { return false }
            i += 1
        }
        return true
    }

    /// Case-insensitive comparison of two ranges of the same buffer.
    @inlinable
    public func equalsIgnoringCase(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        var j = b.lowerBound
        for i in a {
            if ASCII.lower(self[i]) != ASCII.lower(self[j]) { return false }
            j += 1
        }
        return true
    }

    /// Trims optional whitespace (SP / HTAB) on both ends.
    @inlinable
    func trimmingOWS(_ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi, ASCII.isWhitespace(self[lo]) { lo += 1 }
        while hi > lo, ASCII.isWhitespace(self[hi - 1]) { hi -= 1 }
        return lo..<hi
    }

    /// Calls `body` with each element of a comma-separated list (RFC 9110 §5.6.1),
    /// OWS trimmed; empty elements are passed too so callers can reject them.
    @inlinable
    func forEachListElement(_ range: Range<Int>, _ body: (Range<Int>) -> Bool) -> Bool {
        var start = range.lowerBound
        var i = range.lowerBound
        while i <= range.upperBound {
            if i == range.upperBound || self[i] == ASCII.comma {
                if !body(trimmingOWS(start..<i)) { return false }
                start = i + 1
            }
            i += 1
        }
        return true
    }
}
