import Config
import Foundation
import Stats
import Testing
@testable import Proxy

/// Lines as the formats write them, byte for byte, including what a
/// hostile client puts in its fields and lines far past the buffer.
@Suite struct AccessLogFormatTests {
    func record(agent: [UInt8] = Array("curl/8".utf8)) -> AccessRecord {
        var r = AccessRecord(
            client: Array("10.0.0.7".utf8), requestLine: Array("GET /a?b=1 HTTP/1.1".utf8), status: 502, bytesSent: 12,
            backend: Array("app1".utf8), backendNanos: 1_234_000, totalNanos: 2_500_000)
        r.bytesReceived = 78
        r.requestID = Array("0123456789abcdef0123456789abcdef".utf8)
        r.userAgent = agent
        r.retries = 1
        r.termination = Termination(.backendClosed, .connect)
        r.reason = .backendRefused
        return r
    }

    func line(_ r: AccessRecord, _ format: AccessLogFormat) -> String {
        var b = AccessLogBuffer()
        b.append(r, format: format, now: 1_000_000_000)
        return String(decoding: b.take() ?? [], as: UTF8.self)
    }

    @Test func fieldListWritesWhatItNames() {
        let text = line(record(), .fields([.client, .status, .upstreamStatus, .connectMs, .backendMs, .retries, .termination, .reason, .userAgent, .referer, .requestID]))
        #expect(text == "10.0.0.7 502 - - 1.234 1 backend_closed/connect backend_refused \"curl/8\" \"-\" 0123456789abcdef0123456789abcdef\n")
    }

    @Test func jsonIsValidWhateverTheClientSent() throws {
        let hostile = Array("a\"b\\c\n\u{1}é".utf8)
        let text = line(record(agent: hostile), .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["user_agent"] as? String == "a\"b\\c\n\u{1}\u{C3}\u{A9}", "bytes past ASCII are \\u00HH, one per byte")
        #expect(object["termination"] as? String == "backend_closed/connect" && object["reason"] as? String == "backend_refused")
        #expect(object["upstream_status"] is NSNull && object["connect_ms"] is NSNull && object["retries"] as? Int == 1)
    }

    @Test func combinedEscapesAsNginx() {
        let text = line(record(agent: Array("x\"y\n".utf8)), .combined)
        #expect(text.hasPrefix("10.0.0.7 - - ["))
        #expect(text.hasSuffix("] \"GET /a?b=1 HTTP/1.1\" 502 12 \"-\" \"x\\x22y\\x0a\"\n"))
    }

    /// A line far longer than the buffer (a 200 KiB user agent, every byte
    /// escaped) grows it and stays whole.
    @Test func aHugeLineGrowsTheBuffer() throws {
        let agent = [UInt8](repeating: 0x22, count: 200 * 1024)
        var b = AccessLogBuffer()
        b.append(record(), format: .json, now: 1_000_000_000)
        b.append(record(agent: agent), format: .json, now: 1_000_000_000)
        b.append(record(), format: .json, now: 1_000_000_000)
        let lines = String(decoding: b.take() ?? [], as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 3)
        let big = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect((big["user_agent"] as? String)?.count == 200 * 1024)
        #expect(b.take() == nil, "taking empties it")
    }
}
