import HTTP1
import Testing

/// Chunked transfer coding (RFC 9112 §7.1).
@Suite struct ChunkedDecoderTests {
    struct Good: CustomTestStringConvertible, Sendable {
        let name: String
        let raw: String
        let body: String
        var testDescription: String { name }
    }

    static let good: [Good] = [
        Good(name: "RFC 9112 §7.1 single chunk", raw: "5\r\nhello\r\n0\r\n\r\n", body: "hello"),
        Good(name: "RFC 9112 §7.1 several chunks", raw: "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", body: "abcde"),
        Good(name: "RFC 9112 §7.1 hex upper case", raw: "A\r\n0123456789\r\n0\r\n\r\n", body: "0123456789"),
        Good(name: "RFC 9112 §7.1 hex lower case", raw: "a\r\n0123456789\r\n0\r\n\r\n", body: "0123456789"),
        Good(name: "RFC 9112 §7.1 leading zeros", raw: "0005\r\nhello\r\n0\r\n\r\n", body: "hello"),
        Good(name: "RFC 9112 §7.1.1 chunk extension", raw: "5;name=value\r\nhello\r\n0\r\n\r\n", body: "hello"),
        Good(name: "RFC 9112 §7.1.1 extension with BWS", raw: "5 ;a=b\r\nhello\r\n0\r\n\r\n", body: "hello"),
        Good(name: "RFC 9112 §7.1.1 quoted extension", raw: "5;a=\"x y\"\r\nhello\r\n0\r\n\r\n", body: "hello"),
        Good(name: "RFC 9112 §7.1.2 trailer fields", raw: "5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n", body: "hello"),
        Good(name: "RFC 9112 §7.1 empty body", raw: "0\r\n\r\n", body: ""),
        Good(name: "RFC 9112 §7.1.1 extension on last chunk", raw: "0;done\r\n\r\n", body: ""),
    ]

    @Test(arguments: good)
    func decodes(_ c: Good) throws {
        let result = try #require(decodeChunked(c.raw))
        let (body, end) = try result.get()
        #expect(body == c.body)
        #expect(end == c.raw.utf8.count)
    }

    @Test(arguments: good)
    func decodesInPieces(_ c: Good) throws {
        let result = try #require(decodeChunked(c.raw, pieces: c.raw.utf8.count))
        #expect(try result.get().0 == c.body)
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        let name: String
        let raw: String
        let error: HTTPParseError
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "RFC 9112 §7.1 non-hex size", raw: "g\r\nx\r\n0\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1 empty size", raw: "\r\nx\r\n0\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1 size with 0x prefix", raw: "0x5\r\nhello\r\n0\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1 negative size", raw: "-5\r\nhello\r\n0\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1 size overflow", raw: "10000000000000000\r\nx\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1 size with leading space", raw: " 5\r\nhello\r\n0\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1 space without extension", raw: "5 \r\nhello\r\n0\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1 bare LF after size", raw: "5\nhello\r\n0\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1 data longer than size", raw: "3\r\nhello\r\n0\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1 missing CRLF after data", raw: "5\r\nhello0\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1 bare LF after data", raw: "5\r\nhello\n0\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1.1 control character in extension", raw: "5;a\u{1}\r\nhello\r\n0\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1.2 folded trailer", raw: "0\r\nX: a\r\n b\r\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1.2 bare LF in trailer", raw: "0\r\nX: a\n\r\n", error: .invalidChunk),
        Bad(name: "RFC 9112 §7.1 missing final CRLF has LF only", raw: "0\r\n\n", error: .invalidChunk),
    ]

    @Test(arguments: bad)
    func rejects(_ c: Bad) throws {
        let result = try #require(decodeChunked(c.raw))
        switch result {
        case .success: Issue.record("decoded what should fail")
        case .failure(let e): #expect(e == c.error)
        }
    }

    @Test func bodyOverLimitIs413() throws {
        let result = try #require(decodeChunked("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", maxBody: 8))
        #expect(throws: HTTPParseError.bodyTooLarge) { try result.get() }
    }

    @Test func incompleteBodyNeedsMore() {
        #expect(decodeChunked("5\r\nhel") == nil)
    }

    @Test func decoderStopsAtEndOfBody() throws {
        let result = try #require(decodeChunked("1\r\na\r\n0\r\n\r\nGET / HTTP/1.1\r\n"))
        #expect(try result.get().1 == 11)
    }
}
