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
    mutating func append(_ r: AccessRecord, format: AccessLogFormat) {
        refreshStamp()
        switch format {
        case .standard: appendStandard(r)
        case .combined: appendCombined(r)
        case .json: appendJSON(r)
        case .fields(let list): appendFields(r, list)
        }
        pending.append(0x0A)
    }

    /// `client [time] "METHOD target HTTP/1.x" status bytes backend backend_ms total_ms`,
    /// and for a tunnel's end ` tunnel=CAUSE up=BYTES`.
    private mutating func appendStandard(_ r: AccessRecord) {
        pending.append(contentsOf: r.client)
        pending.append(static: " [")
        appendTime()
        pending.append(static: "] \"")
        pending.append(contentsOf: r.requestLine)
        pending.append(static: "\" ")
        pending.appendDecimal(r.status)
        pending.append(0x20)
        pending.appendDecimal(r.bytesSent)
        pending.append(0x20)
        if let backend = r.backend { pending.append(contentsOf: backend) } else { pending.append(0x2D) }
        pending.append(0x20)
        appendMillis(r.backendNanos)
        pending.append(0x20)
        appendMillis(r.totalNanos)
        if let tunnel = r.tunnel {
            pending.append(static: " tunnel=")
            pending.append(static: tunnel.end)
            pending.append(static: " up=")
            pending.appendDecimal(tunnel.up)
        }
    }

    /// Apache's and nginx's `combined`:
    /// `client - - [29/Nov/2026:10:04:05 +0000] "request" status bytes "referer" "user agent"`.
    private mutating func appendCombined(_ r: AccessRecord) {
        pending.append(contentsOf: r.client)
        pending.append(static: " - - [")
        pending.append(contentsOf: commonStamp)
        pending.append(static: "] ")
        appendQuoted(r.requestLine)
        pending.append(0x20)
        pending.appendDecimal(r.status)
        pending.append(0x20)
        pending.appendDecimal(r.bytesSent)
        pending.append(0x20)
        appendQuoted(r.referer)
        pending.append(0x20)
        appendQuoted(r.userAgent)
    }

    /// One object, every field; absent values are `null`.
    private mutating func appendJSON(_ r: AccessRecord) {
        pending.append(static: "{\"time\":\"")
        appendTime()
        pending.append(static: "\",\"client\":")
        appendJSONString(r.client)
        pending.append(static: ",\"request\":")
        appendJSONString(r.requestLine)
        pending.append(static: ",\"status\":")
        pending.appendDecimal(r.status)
        pending.append(static: ",\"upstream_status\":")
        if r.upstreamStatus > 0 { pending.appendDecimal(r.upstreamStatus) } else { pending.append(static: "null") }
        pending.append(static: ",\"bytes_sent\":")
        pending.appendDecimal(r.bytesSent)
        pending.append(static: ",\"bytes_received\":")
        pending.appendDecimal(r.bytesReceived)
        pending.append(static: ",\"backend\":")
        if let b = r.backend { appendJSONString(b) } else { pending.append(static: "null") }
        pending.append(static: ",\"connect_ms\":")
        appendMillis(r.connectNanos, absent: "null")
        pending.append(static: ",\"first_byte_ms\":")
        appendMillis(r.firstByteNanos, absent: "null")
        pending.append(static: ",\"backend_ms\":")
        appendMillis(r.backendNanos)
        pending.append(static: ",\"total_ms\":")
        appendMillis(r.totalNanos)
        pending.append(static: ",\"request_id\":")
        appendJSONString(r.requestID)
        pending.append(static: ",\"tls_version\":")
        appendJSONString(r.tlsVersion)
        pending.append(static: ",\"sni\":")
        appendJSONString(r.serverName)
        pending.append(static: ",\"user_agent\":")
        appendJSONString(r.userAgent)
        pending.append(static: ",\"referer\":")
        appendJSONString(r.referer)
        pending.append(static: ",\"retries\":")
        pending.appendDecimal(r.retries)
        pending.append(static: ",\"termination\":\"")
        appendTermination(r.termination)
        pending.append(static: "\",\"reason\":")
        if let reason = r.reason {
            pending.append(0x22)
            pending.append(static: reason.name)
            pending.append(0x22)
        } else {
            pending.append(static: "null")
        }
        pending.append(static: ",\"tunnel_up\":")
        if let t = r.tunnel { pending.appendDecimal(t.up) } else { pending.append(static: "null") }
        pending.append(0x7D)
    }

    /// The operator's list, separated by spaces; text that may hold spaces
    /// is quoted, absent values are `-`.
    private mutating func appendFields(_ r: AccessRecord, _ list: [AccessLogField]) {
        for (n, field) in list.enumerated() {
            if n > 0 { pending.append(0x20) }
            switch field {
            case .client: pending.append(contentsOf: r.client)
            case .time: appendTime()
            case .request: appendQuoted(r.requestLine)
            case .status: pending.appendDecimal(r.status)
            case .upstreamStatus: if r.upstreamStatus > 0 { pending.appendDecimal(r.upstreamStatus) } else { pending.append(0x2D) }
            case .bytesSent: pending.appendDecimal(r.bytesSent)
            case .bytesReceived: pending.appendDecimal(r.bytesReceived)
            case .backend: if let b = r.backend { pending.append(contentsOf: b) } else { pending.append(0x2D) }
            case .connectMs: appendMillis(r.connectNanos, absent: "-")
            case .firstByteMs: appendMillis(r.firstByteNanos, absent: "-")
            case .backendMs: appendMillis(r.backendNanos)
            case .totalMs: appendMillis(r.totalNanos)
            case .requestID: if r.requestID.isEmpty { pending.append(0x2D) } else { pending.append(contentsOf: r.requestID) }
            case .tlsVersion: appendWord(r.tlsVersion)
            case .sni: appendWord(r.serverName)
            case .userAgent: appendQuoted(r.userAgent)
            case .referer: appendQuoted(r.referer)
            case .retries: pending.appendDecimal(r.retries)
            case .termination: appendTermination(r.termination)
            case .reason: if let reason = r.reason { pending.append(static: reason.name) } else { pending.append(0x2D) }
            case .tunnelUp: if let t = r.tunnel { pending.appendDecimal(t.up) } else { pending.append(0x2D) }
            }
        }
    }

    // MARK: Pieces

    /// `2026-12-01T10:04:05.123Z`
    private mutating func appendTime() {
        pending.append(contentsOf: stamp)
        pending.append(0x2E)
        pending.append(UInt8(0x30 + stampMillis / 100))
        pending.append(UInt8(0x30 + (stampMillis / 10) % 10))
        pending.append(UInt8(0x30 + stampMillis % 10))
        pending.append(0x5A)
    }

    private mutating func appendTermination(_ t: Termination) {
        pending.append(static: t.cause.name)
        pending.append(0x2F)
        pending.append(static: t.phase.name)
    }

    /// Milliseconds with three decimals (`0.416`).
    private mutating func appendMillis(_ nanos: UInt64) {
        let micros = Int(nanos / 1000)
        pending.appendDecimal(micros / 1000)
        pending.append(0x2E)
        let frac = micros % 1000
        pending.append(UInt8(0x30 + frac / 100))
        pending.append(UInt8(0x30 + (frac / 10) % 10))
        pending.append(UInt8(0x30 + frac % 10))
    }

    private mutating func appendMillis(_ nanos: UInt64?, absent: StaticString) {
        if let nanos { appendMillis(nanos) } else { pending.append(static: absent) }
    }

    /// A C string as one word (`-` when absent): OpenSSL's version names and
    /// server names have no spaces or quotes (SNI is a DNS name).
    private mutating func appendWord(_ s: UnsafePointer<CChar>?) {
        guard let s, s.pointee != 0 else { return pending.append(0x2D) }
        let n = strlen(s)
        s.withMemoryRebound(to: UInt8.self, capacity: n) { p in
            for i in 0..<n {
                let b = p[i]
                pending.append(b > 0x20 && b < 0x7F && b != 0x22 && b != 0x5C ? b : 0x3F)
            }
        }
    }

    /// `"text"` as nginx writes it: `"`, `\`, control and non-ASCII bytes
    /// as `\xHH`, so a client cannot forge a line or a field. Empty: `"-"`.
    private mutating func appendQuoted(_ text: [UInt8]) {
        pending.append(0x22)
        if text.isEmpty {
            pending.append(0x2D)
        } else if !text.contains(where: Self.needsEscape) {
            pending.append(contentsOf: text)
        } else {
            for b in text {
                if Self.needsEscape(b) {
                    pending.append(0x5C)
                    pending.append(0x78)
                    appendHexByte(b)
                } else {
                    pending.append(b)
                }
            }
        }
        pending.append(0x22)
    }

    /// A JSON string (`null` when empty). Bytes past ASCII are escaped as
    /// `\u00HH`, so the line is valid JSON (and UTF-8) whatever the client sent.
    private mutating func appendJSONString(_ text: [UInt8]) {
        guard !text.isEmpty else { return pending.append(static: "null") }
        pending.append(0x22)
        if !text.contains(where: Self.needsEscape) {
            pending.append(contentsOf: text)
        } else {
            for b in text { appendJSONByte(b) }
        }
        pending.append(0x22)
    }

    private mutating func appendJSONString(_ s: UnsafePointer<CChar>?) {
        guard let s, s.pointee != 0 else { return pending.append(static: "null") }
        pending.append(0x22)
        let n = strlen(s)
        s.withMemoryRebound(to: UInt8.self, capacity: n) { p in
            for i in 0..<n { appendJSONByte(p[i]) }
        }
        pending.append(0x22)
    }

    private mutating func appendJSONByte(_ b: UInt8) {
        if !Self.needsEscape(b) { return pending.append(b) }
        pending.append(0x5C)
        switch b {
        case 0x22, 0x5C: pending.append(b)
        default:
            pending.append(static: "u00")
            appendHexByte(b)
        }
    }

    private mutating func appendHexByte(_ b: UInt8) {
        let hex: StaticString = "0123456789abcdef"
        pending.append(hex.utf8Start[Int(b >> 4)])
        pending.append(hex.utf8Start[Int(b & 0xF)])
    }

    @inline(__always)
    private static func needsEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b >= 0x7F || b == 0x22 || b == 0x5C
    }
}
