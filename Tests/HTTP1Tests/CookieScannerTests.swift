import HTTP1
import Testing

@Suite struct CookieScannerTests {
    func find(_ header: String, _ name: String) -> String? {
        let bytes = Array(header.utf8)
        return bytes.withUnsafeBufferPointer { buf in
            CookieScanner.find(buf, in: 0..<bytes.count, name: Array(name.utf8)).map { String(decoding: bytes[$0], as: UTF8.self) }
        }
    }

    @Test func findsAmongSeveral() {
        #expect(find("a=1; TETHER=abc; JSESSIONID=XYZ.node2", "TETHER") == "abc")
        #expect(find("a=1; TETHER=abc; JSESSIONID=XYZ.node2", "JSESSIONID") == "XYZ.node2")
    }

    @Test func namesAreExact() {
        #expect(find("XTETHER=1; TETHERX=2", "TETHER") == nil)
        #expect(find("tether=1", "TETHER") == nil)
    }

    @Test func toleratesSpacingQuotesAndJunk() {
        #expect(find(" ;junk; TETHER = \"q v\" ;", "TETHER") == "q v")
        #expect(find("TETHER=", "TETHER") == "")
    }

    @Test func firstOccurrenceWins() {
        #expect(find("TETHER=one; TETHER=two", "TETHER") == "one")
    }
}
