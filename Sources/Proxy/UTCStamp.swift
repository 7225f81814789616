import Glibc
import HTTP1

/// UTC times as Tether's logs write them, as bytes: the access log caches
/// them per second, the event log makes one per line.
enum UTCStamp {
    /// `2026-12-01T10:04:05` for `seconds` since 1970.
    static func appendISO(_ seconds: Int, into out: inout [UInt8]) {
        let t = fields(seconds)
        out.appendDecimal(Int(t.tm_year) + 1900)
        out.append(0x2D); two(t.tm_mon + 1, &out)
        out.append(0x2D); two(t.tm_mday, &out)
        out.append(0x54); two(t.tm_hour, &out)
        out.append(0x3A); two(t.tm_min, &out)
        out.append(0x3A); two(t.tm_sec, &out)
    }

    /// `01/Dec/2026:10:04:05 +0000`, the Common and Combined Log Formats' time.
    static func appendCommon(_ seconds: Int, into out: inout [UInt8]) {
        let t = fields(seconds)
        two(t.tm_mday, &out)
        out.append(0x2F)
        out.append(contentsOf: UnsafeBufferPointer(start: months.utf8Start + Int(t.tm_mon) * 3, count: 3))
        out.append(0x2F)
        out.appendDecimal(Int(t.tm_year) + 1900)
        out.append(0x3A); two(t.tm_hour, &out)
        out.append(0x3A); two(t.tm_min, &out)
        out.append(0x3A); two(t.tm_sec, &out)
        out.append(static: " +0000")
    }

    /// Now, `2026-12-01T10:04:05.123Z`.
    static func appendNow(into out: inout [UInt8]) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        appendISO(ts.tv_sec, into: &out)
        appendMillis(ts.tv_nsec / 1_000_000, into: &out)
    }

    /// `.123Z`
    static func appendMillis(_ ms: Int, into out: inout [UInt8]) {
        out.append(0x2E)
        out.append(UInt8(0x30 + ms / 100))
        out.append(UInt8(0x30 + (ms / 10) % 10))
        out.append(UInt8(0x30 + ms % 10))
        out.append(0x5A)
    }

    private static let months: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"

    private static func fields(_ seconds: Int) -> tm {
        var t = tm()
        var s = seconds
        gmtime_r(&s, &t)
        return t
    }

    private static func two(_ v: Int32, _ out: inout [UInt8]) {
        out.append(UInt8(0x30 + v / 10))
        out.append(UInt8(0x30 + v % 10))
    }
}
