/// Parses the PROXY protocol header (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt)
/// a listener with `proxy_protocol` reads before TLS or HTTP.
///
/// The header must be taken off the socket to the byte: what follows is a
/// TLS ClientHello or a request that another stage reads. So the reader
/// peeks, asks `headerBytes` how many of the peeked bytes belong to the
/// header, consumes exactly those, and asks `parse` whether they are all of it.
public enum ProxyHeaderParser {
    /// v2's 12-byte signature.
    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    static let v1Prefix: [UInt8] = Array("PROXY ".utf8)
    /// v1's longest line, CRLF included (the spec's 107).
    public static let v1MaxLength = 107
    /// Longest v2 header accepted: the address block plus TLVs such as
    /// AWS's VPC endpoint id or a TLS summary; HAProxy itself sends far less.
    public static let maxLength = 1024

    public enum Result: Equatable, Sendable {
        /// The header is complete: `length` bytes.
        case complete(ProxyHeader, length: Int)
        /// Every byte so far is valid; more are needed.
        case incomplete
        case invalid(ProxyHeaderError)
    }

    /// How many of `bytes` (the header's start, as far as it has come) can
    /// belong to the header: all of them until its end is known.
    public static func headerBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let n = bytes.count
        guard n > 0 else { return 0 }
        if bytes[0] == signature[0] {
            guard n >= 16 else { return n }
            return min(n, 16 + (Int(bytes[14]) << 8 | Int(bytes[15])))
        }
        for i in 0..<min(n, v1MaxLength) where bytes[i] == 0x0A { return i + 1 }
        return min(n, v1MaxLength)
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result {
        guard let first = bytes.first else { return .incomplete }
        if first == signature[0] { return parseV2(bytes) }
        if first == v1Prefix[0] { return parseV1(bytes) }
        return .invalid(.malformed)
    }

    // MARK: Version 1: "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n"

    static func parseV1(_ b: UnsafeBufferPointer<UInt8>) -> Result {
        for i in 0..<min(b.count, v1Prefix.count) where b[i] != v1Prefix[i] { return .invalid(.malformed) }
        guard let lf = b.firstIndex(of: 0x0A) else {
            return b.count >= v1MaxLength ? .invalid(.oversized) : .incomplete
        }
        guard lf + 1 <= v1MaxLength else { return .invalid(.oversized) }
        guard lf >= 1, b[lf - 1] == 0x0D else { return .invalid(.malformed) }
        let line = UnsafeBufferPointer(rebasing: b[v1Prefix.count..<(lf - 1)])
        let words = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard let proto = words.first else { return .invalid(.malformed) }
        let header = ProxyHeader(version: 1)
        if proto.elementsEqual("UNKNOWN".utf8) {
            return .complete(header, length: lf + 1)  // the rest of the line is ignored (spec 2.1)
        }
        let v4 = proto.elementsEqual("TCP4".utf8)
        guard v4 || proto.elementsEqual("TCP6".utf8), words.count == 5,
            let src = address(words[1], v4: v4), let dst = address(words[2], v4: v4),
            let sport = port(words[3]), let dport = port(words[4])
        else { return .invalid(.malformed) }
        var h = header
        h.source = (src, sport)
        h.destination = (dst, dport)
        return .complete(h, length: lf + 1)
    }

    private static func address(_ word: Slice<UnsafeBufferPointer<UInt8>>, v4: Bool) -> IPAddress? {
        guard !word.isEmpty, word.count <= 45,
            word.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x3A || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }),
            word.contains(0x3A) != v4, let a = IPAddress(String(decoding: word, as: UTF8.self))
        else { return nil }
        return a  // TCP6 may carry an IPv4-mapped address: IPv6 text all the same
    }

    /// 0–65535, decimal, no sign and no leading zero (the spec's form).
    private static func port(_ word: Slice<UnsafeBufferPointer<UInt8>>) -> UInt16? {
        guard !word.isEmpty, word.count <= 5, word.first != 0x30 || word.count == 1 else { return nil }
        var n = 0
        for c in word {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            n = n * 10 + Int(c - 0x30)
        }
        return n <= 65535 ? UInt16(n) : nil
    }

    // MARK: Version 2: signature, version/command, family/protocol, length, addresses, TLVs

    static func parseV2(_ b: UnsafeBufferPointer<UInt8>) -> Result {
        for i in 0..<min(b.count, 12) where b[i] != signature[i] { return .invalid(.malformed) }
        guard b.count >= 16 else {
            if b.count > 12 && b[12] >> 4 != 2 { return .invalid(.malformed) }
            return .incomplete
        }
        let versionCommand = b[12], familyProtocol = b[13]
        let length = 16 + (Int(b[14]) << 8 | Int(b[15]))
        guard versionCommand >> 4 == 2 else { return .invalid(.malformed) }
        guard length <= maxLength else { return .invalid(.oversized) }
        guard b.count >= length else { return .incomplete }
        let body = UnsafeBufferPointer(rebasing: b[16..<length])
        var header = ProxyHeader(version: 2)
        switch versionCommand & 0x0F {
        case 0x0:  // LOCAL: the balancer's own connection; the block is ignored
            return .complete(header, length: length)
        case 0x1:
            break
        default:
            return .invalid(.malformed)
        }
        let family = familyProtocol >> 4, transport = familyProtocol & 0x0F
        guard transport <= 1, family <= 3 else { return .invalid(.malformed) }  // STREAM or UNSPEC; no datagrams
        let addressLength: Int
        switch family {
        case 0x1: addressLength = 12
        case 0x2: addressLength = 36
        case 0x3: addressLength = 216
        default: addressLength = 0
        }
        guard body.count >= addressLength else { return .invalid(.malformed) }
        guard tlvsAreWhole(UnsafeBufferPointer(rebasing: body[addressLength...])) else { return .invalid(.malformed) }
        if family == 0x1 || family == 0x2, transport == 0x1 {
            let width = family == 0x1 ? 4 : 16
            let src = IPAddress(bytes: UnsafeBufferPointer(rebasing: body[0..<width]))!
            let dst = IPAddress(bytes: UnsafeBufferPointer(rebasing: body[width..<(2 * width)]))!
            let ports = 2 * width
            header.source = (src, UInt16(body[ports]) << 8 | UInt16(body[ports + 1]))
            header.destination = (dst, UInt16(body[ports + 2]) << 8 | UInt16(body[ports + 3]))
        }
        return .complete(header, length: length)
    }

    /// TLVs (type, 16-bit length, value) must tile what follows the addresses
    /// exactly; a value running past the end is a forged or cut header.
    private static func tlvsAreWhole(_ tlvs: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < tlvs.count {
            guard i + 3 <= tlvs.count else { return false }
            i += 3 + (Int(tlvs[i + 1]) << 8 | Int(tlvs[i + 2]))
        }
        return i == tlvs.count
    }
}

extension ProxyHeader {
    init(version: Int) {
        self.version = version
        self.source = nil
        self.destination = nil
    }
}
