import Config
import Glibc
import HTTP1
import Stats

/// One finished exchange (or tunnel) as the access log sees it. Built only
/// when a log is on; the arrays are the exchange's own, not copies.
struct AccessRecord {
    var client: [UInt8]
    var requestLine: [UInt8]
    var status: Int
    /// 0: the backend sent none.
    var upstreamStatus = 0
    var bytesSent: Int
    var bytesReceived = 0
    var backend: [UInt8]?
    var connectNanos: UInt64? = nil
    var firstByteNanos: UInt64? = nil
    var backendNanos: UInt64
    var totalNanos: UInt64
    var requestID: [UInt8] = []
    /// C strings from OpenSSL, valid while the line is written.
    var tlsVersion: UnsafePointer<CChar>? = nil
    var serverName: UnsafePointer<CChar>? = nil
    var userAgent: [UInt8] = []
    var referer: [UInt8] = []
    var retries = 0
    var termination = Termination.ok
    var reason: LocalAnswer? = nil
    /// A tunnel's end (its name in the standard line) and bytes to the backend.
    var tunnel: (end: StaticString, up: Int)? = nil
}

/// The line formats (`access_log … format=`), written byte by byte.
extension AccessLogBuffer {
    /// `now`: the loop's monotonic time (see `refreshStamp`).
    mutating func append(_ r: AccessRecord, format: AccessLogFormat, now: UInt64) {
        refreshStamp(now: now)
        out.reserve(0)  // the slack for the fixed-size pieces
        switch format {
        case .standard: appendStandard(r)
        case .combined: appendCombined(r)
        case .json: appendJSON(r)
        case .fields(let list): appendFields(r, list)
        }
        out.put(0x0A)
    }

    /// `client [time] "METHOD target HTTP/1.x" status bytes backend backend_ms total_ms`,
    /// and for a tunnel's end ` tunnel=CAUSE up=BYTES`.
    private func appendStandard(_ r: AccessRecord) {
        out.put(r.client)
        out.put(static: " [")
        appendTime()
        out.put(static: "] \"")
        out.put(r.requestLine)
        out.put(static: "\" ")
        out.putDecimal(r.status)
        out.put(0x20)
        out.putDecimal(r.bytesSent)
        out.put(0x20)
        if let backend = r.backend { out.put(backend) } else { out.put(0x2D) }
        out.put(0x20)
        appendMillis(r.backendNanos)
        out.put(0x20)
        appendMillis(r.totalNanos)
        if let tunnel = r.tunnel {
            out.put(static: " tunnel=")
            out.put(static: tunnel.end)
            out.put(static: " up=")
            out.putDecimal(tunnel.up)
        }
    }

    /// Apache's and nginx's `combined`:
    /// `client - - [29/Nov/2026:10:04:05 +0000] "request" status bytes "referer" "user agent"`.
    private func appendCombined(_ r: AccessRecord) {
        out.put(r.client)
        out.put(static: " - - [")
        out.put(commonStamp)
        out.put(static: "] ")
        appendQuoted(r.requestLine)
        out.put(0x20)
        out.putDecimal(r.status)
        out.put(0x20)
        out.putDecimal(r.bytesSent)
        out.put(0x20)
        appendQuoted(r.referer)
        out.put(0x20)
        appendQuoted(r.userAgent)
    }

    /// One object, every field; absent values are `null`.
    private func appendJSON(_ r: AccessRecord) {
        out.put(static: "{\"time\":\"")
        appendTime()
        out.put(static: "\",\"client\":")
        appendJSONString(r.client)
        out.put(static: ",\"request\":")
        appendJSONString(r.requestLine)
        out.put(static: ",\"status\":")
        out.putDecimal(r.status)
        out.put(static: ",\"upstream_status\":")
        if r.upstreamStatus > 0 { out.putDecimal(r.upstreamStatus) } else { out.put(static: "null") }
        out.put(static: ",\"bytes_sent\":")
        out.putDecimal(r.bytesSent)
        out.put(static: ",\"bytes_received\":")
        out.putDecimal(r.bytesReceived)
        out.put(static: ",\"backend\":")
        if let b = r.backend { appendJSONString(b) } else { out.put(static: "null") }
        out.put(static: ",\"connect_ms\":")
        appendMillis(r.connectNanos, absent: "null")
        out.put(static: ",\"first_byte_ms\":")
        appendMillis(r.firstByteNanos, absent: "null")
        out.put(static: ",\"backend_ms\":")
        appendMillis(r.backendNanos)
        out.put(static: ",\"total_ms\":")
        appendMillis(r.totalNanos)
        out.put(static: ",\"request_id\":")
        appendJSONString(r.requestID)
        out.put(static: ",\"tls_version\":")
        appendJSONString(r.tlsVersion)
        out.put(static: ",\"sni\":")
        appendJSONString(r.serverName)
        out.put(static: ",\"user_agent\":")
        appendJSONString(r.userAgent)
        out.put(static: ",\"referer\":")
        appendJSONString(r.referer)
        out.put(static: ",\"retries\":")
        out.putDecimal(r.retries)
        out.put(static: ",\"termination\":\"")
        appendTermination(r.termination)
        out.put(static: "\",\"reason\":")
        if let reason = r.reason {
            out.put(0x22)
            out.put(static: reason.name)
            out.put(0x22)
        } else {
            out.put(static: "null")
        }
        out.put(static: ",\"tunnel_up\":")
        if let t = r.tunnel { out.putDecimal(t.up) } else { out.put(static: "null") }
        out.put(0x7D)
    }

    /// The operator's list, separated by spaces; text that may hold spaces
    /// is quoted, absent values are `-`.
    private func appendFields(_ r: AccessRecord, _ list: [AccessLogField]) {
        for (n, field) in list.enumerated() {
            if n > 0 { out.put(0x20) }
            switch field {
            case .client: out.put(r.client)
            case .time: appendTime()
            case .request: appendQuoted(r.requestLine)
            case .status: out.putDecimal(r.status)
            case .upstreamStatus: if r.upstreamStatus > 0 { out.putDecimal(r.upstreamStatus) } else { out.put(0x2D) }
            case .bytesSent: out.putDecimal(r.bytesSent)
            case .bytesReceived: out.putDecimal(r.bytesReceived)
            case .backend: if let b = r.backend { out.put(b) } else { out.put(0x2D) }
            case .connectMs: appendMillis(r.connectNanos, absent: "-")
            case .firstByteMs: appendMillis(r.firstByteNanos, absent: "-")
            case .backendMs: appendMillis(r.backendNanos)
            case .totalMs: appendMillis(r.totalNanos)
            case .requestID: if r.requestID.isEmpty { out.put(0x2D) } else { out.put(r.requestID) }
            case .tlsVersion: appendWord(r.tlsVersion)
            case .sni: appendWord(r.serverName)
            case .userAgent: appendQuoted(r.userAgent)
            case .referer: appendQuoted(r.referer)
            case .retries: out.putDecimal(r.retries)
            case .termination: appendTermination(r.termination)
            case .reason: if let reason = r.reason { out.put(static: reason.name) } else { out.put(0x2D) }
            case .tunnelUp: if let t = r.tunnel { out.putDecimal(t.up) } else { out.put(0x2D) }
            }
        }
    }

    // MARK: Pieces

    /// `2026-12-01T10:04:05.123Z`
    private func appendTime() {
        out.put(stamp)
        out.put(0x2E)
        out.put(UInt8(0x30 + stampMillis / 100))
        out.put(UInt8(0x30 + (stampMillis / 10) % 10))
        out.put(UInt8(0x30 + stampMillis % 10))
        out.put(0x5A)
    }

    private func appendTermination(_ t: Termination) {
        out.put(static: t.cause.name)
        out.put(0x2F)
        out.put(static: t.phase.name)
    }

    /// Milliseconds with three decimals (`0.416`).
    private func appendMillis(_ nanos: UInt64) {
        let micros = Int(nanos / 1000)
        out.putDecimal(micros / 1000)
        out.put(0x2E)
        let frac = micros % 1000
        out.put(UInt8(0x30 + frac / 100))
        out.put(UInt8(0x30 + (frac / 10) % 10))
        out.put(UInt8(0x30 + frac % 10))
    }

    private func appendMillis(_ nanos: UInt64?, absent: StaticString) {
        if let nanos { appendMillis(nanos) } else { out.put(static: absent) }
    }

    /// A C string from OpenSSL as bytes (empty when absent).
    private static func bytes(_ s: UnsafePointer<CChar>?) -> UnsafeBufferPointer<UInt8> {
        guard let s else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: UnsafeRawPointer(s).assumingMemoryBound(to: UInt8.self), count: strlen(s))
    }

    /// A C string as one word (`-` when absent): OpenSSL's version names and
    /// server names have no spaces or quotes (SNI is a DNS name).
    private func appendWord(_ s: UnsafePointer<CChar>?) {
        let text = Self.bytes(s)
        guard !text.isEmpty else { return out.put(0x2D) }
        out.reserve(text.count)
        for b in text { out.put(b > 0x20 && b < 0x7F && b != 0x22 && b != 0x5C ? b : 0x3F) }
    }

    /// `"text"` as nginx writes it: `"`, `\`, control and non-ASCII bytes
    /// as `\xHH`, so a client cannot forge a line or a field. Empty: `"-"`.
    private func appendQuoted(_ text: [UInt8]) {
        out.reserve(text.count * 4)
        out.put(0x22)
        if text.isEmpty {
            out.put(0x2D)
        } else if !text.contains(where: Self.needsEscape) {
            out.put(text)
        } else {
            for b in text {
                if Self.needsEscape(b) {
                    out.put(0x5C)
                    out.put(0x78)
                    appendHexByte(b)
                } else {
                    out.put(b)
                }
            }
        }
        out.put(0x22)
    }

    private func appendJSONString(_ text: [UInt8]) {
        text.withUnsafeBufferPointer { appendJSONString($0) }
    }

    private func appendJSONString(_ s: UnsafePointer<CChar>?) {
        appendJSONString(Self.bytes(s))
    }

    /// A JSON string (`null` when empty). Bytes past ASCII are escaped as
    /// `\u00HH`, so the line is valid JSON (and UTF-8) whatever the client sent.
    private func appendJSONString(_ text: UnsafeBufferPointer<UInt8>) {
        guard !text.isEmpty else { return out.put(static: "null") }
        out.reserve(text.count * 6)
        out.put(0x22)
        if !text.contains(where: Self.needsEscape) {
            out.put(text)
        } else {
            for b in text { appendJSONByte(b) }
        }
        out.put(0x22)
    }

    private func appendJSONByte(_ b: UInt8) {
        if !Self.needsEscape(b) { return out.put(b) }
        out.put(0x5C)
        switch b {
        case 0x22, 0x5C: out.put(b)
        default:
            out.put(static: "u00")
            appendHexByte(b)
        }
    }

    private func appendHexByte(_ b: UInt8) {
        let hex: StaticString = "0123456789abcdef"
        out.put(hex.utf8Start[Int(b >> 4)])
        out.put(hex.utf8Start[Int(b & 0xF)])
    }

    @inline(__always)
    private static func needsEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b >= 0x7F || b == 0x22 || b == 0x5C
    }
}
