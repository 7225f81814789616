/// The Redis serialisation protocol (RESP2), only as much as Tether (PING)
/// and the demo backend (GET / SET) use. Pure: no sockets.
public enum RESPValue: Equatable, Sendable {
    case simple(String)
    case error(String)
    case integer(Int)
    /// nil: the null bulk string (a missing key).
    case bulk(String?)
    case array([RESPValue]?)
}

public enum RESP {
    /// A command as an array of bulk strings.
    public static func encode(_ parts: [String]) -> [UInt8] {
        var out = Array("*\(parts.count)\r\n".utf8)
        for p in parts {
            let bytes = Array(p.utf8)
            out += Array("$\(bytes.count)\r\n".utf8)
            out += bytes
            out += [13, 10]
        }
        return out
    }

    public enum ParseError: Error, Equatable { case malformed }

    /// Parses one value from the start of `bytes`: the value and the bytes it
    /// used, nil if more bytes are needed.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(ParseError) -> (RESPValue, Int)? {
        guard let first = bytes.first else { return nil }
        guard let lineEnd = findCRLF(bytes) else { return nil }
        let line = String(decoding: bytes[(bytes.startIndex + 1)..<lineEnd], as: UTF8.self)
        let afterLine = lineEnd + 2
        let used = afterLine - bytes.startIndex
        switch first {
        case UInt8(ascii: "+"): return (.simple(line), used)
        case UInt8(ascii: "-"): return (.error(line), used)
        case UInt8(ascii: ":"):
            guard let n = Int(line) else { throw .malformed }
            return (.integer(n), used)
        case UInt8(ascii: "$"):
            guard let n = Int(line), n >= -1 else { throw .malformed }
            if n == -1 { return (.bulk(nil), used) }
            guard bytes.endIndex - afterLine >= n + 2 else { return nil }
            let value = String(decoding: bytes[afterLine..<(afterLine + n)], as: UTF8.self)
            return (.bulk(value), used + n + 2)
        case UInt8(ascii: "*"):
            guard let n = Int(line), n >= -1 else { throw .malformed }
            if n == -1 { return (.array(nil), used) }
            var items: [RESPValue] = []
            var offset = afterLine
            for _ in 0..<n {
                guard let (v, k) = try parse(bytes[offset...]) else { return nil }
                items.append(v)
                offset += k
            }
            return (.array(items), offset - bytes.startIndex)
        default:
            throw .malformed
        }
    }

    private static func findCRLF(_ bytes: ArraySlice<UInt8>) -> Int? {
        var i = bytes.startIndex
        while i + 1 < bytes.endIndex {
            if bytes[i] == 13 && bytes[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }
}
