import COpenSSL

/// OpenSSL reports failures on a per-thread error queue. Event loops run on
/// whichever Dispatch worker is free, so every failure path empties the queue
/// before returning: the next `SSL_get_error` on that thread must not read a
/// stale entry left by another connection.
enum OpenSSLErrors {
    /// The reason of the most recent queued error ("unknown" if none), and an empty queue.
    static func drain() -> String {
        var last: UInt = 0
        while true {
            let e = ERR_get_error()
            if e == 0 { break }
            last = e
        }
        guard last != 0 else { return "unknown error" }
        if let reason = ERR_reason_error_string(last) { return String(cString: reason) }
        var buf = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(last, &buf, buf.count)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func clear() { ERR_clear_error() }
}
