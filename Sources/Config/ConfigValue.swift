import ClientAddress

/// The kinds of value a directive takes, each with its parser and the words
/// used in error messages and in docs/CONFIG.md.
enum ValueKind: Equatable, Sendable {
    case duration
    /// A duration, or `off` for none.
    case durationOrOff
    case size
    case integer(ClosedRange<Int>)
    case number(ClosedRange<Double>)
    /// `on`/`off` (also yes/no, true/false); as a bare option word it means on.
    case flag
    case word([String])
    /// `host:port`, port 1–65535.
    case address
    case string
    /// `redis://host:port`
    case redisURL
    /// `200-399` or `200`
    case statusRange
    /// Address blocks joined by commas: `10.0.0.0/8,2001:db8::/32,127.0.0.1`.
    case networks

    var label: String {
        switch self {
        case .duration: return "duration"
        case .durationOrOff: return "duration|off"
        case .size: return "size"
        case .integer(let r): return "integer \(r.lowerBound)–\(r.upperBound)"
        case .number(let r): return "number \(r.lowerBound)–\(r.upperBound)"
        case .flag: return "on|off"
        case .word(let words): return words.joined(separator: "|")
        case .address: return "host:port"
        case .string: return "string"
        case .redisURL: return "redis://host:port"
        case .statusRange: return "status range"
        case .networks: return "CIDR,…|none"
        }
    }
}

enum ConfigValue: Equatable, Sendable {
    case duration(Duration)
    case size(Int)
    case integer(Int)
    case number(Double)
    case flag(Bool)
    case text(String)
    case range(Int, Int)
    case networks([Network])

    var duration: Duration? { if case .duration(let d) = self { return d } else { return nil } }
    var int: Int? {
        switch self {
        case .integer(let n), .size(let n): return n
        default: return nil
        }
    }
    var double: Double? { if case .number(let d) = self { return d } else { return nil } }
    var bool: Bool? { if case .flag(let b) = self { return b } else { return nil } }
    var text: String? { if case .text(let s) = self { return s } else { return nil } }
    var networks: [Network]? { if case .networks(let n) = self { return n } else { return nil } }

    /// Parses `raw` as `kind`; the error text says what was expected.
    static func parse(_ raw: String, as kind: ValueKind) -> Result<ConfigValue, ValueError> {
        switch kind {
        case .duration:
            if raw.hasPrefix("-") || raw == "0" || raw.hasPrefix("0") && raw.dropFirst().allSatisfy({ !$0.isNumber }) {
                return .failure("duration must be positive, got \"\(raw)\"")
            }
            guard let d = ValueParsing.duration(raw) else {
                return .failure("\"\(raw)\" is not a duration (e.g. 500ms, 2s, 5m, 1h)")
            }
            return .success(.duration(d))
        case .durationOrOff:
            if raw == "off" { return .success(.flag(false)) }
            return parse(raw, as: .duration)
        case .size:
            guard let n = ValueParsing.size(raw) else { return .failure("\"\(raw)\" is not a size (e.g. 512, 16k, 64m, 1g)") }
            return .success(.size(n))
        case .integer(let range):
            guard let n = Int(raw) else { return .failure("\"\(raw)\" is not an integer") }
            guard range.contains(n) else { return .failure("\(n) is out of range \(range.lowerBound)–\(range.upperBound)") }
            return .success(.integer(n))
        case .number(let range):
            guard let d = Double(raw), d.isFinite else { return .failure("\"\(raw)\" is not a number") }
            guard range.contains(d) else { return .failure("\(raw) is out of range \(range.lowerBound)–\(range.upperBound)") }
            return .success(.number(d))
        case .flag:
            switch raw.lowercased() {
            case "on", "yes", "true": return .success(.flag(true))
            case "off", "no", "false": return .success(.flag(false))
            default: return .failure("\"\(raw)\" is not on or off")
            }
        case .word(let words):
            guard words.contains(raw) else {
                let hint = Suggestion.closest(to: raw, in: words).map { " (did you mean \"\($0)\"?)" } ?? ""
                return .failure("\"\(raw)\" is not one of \(words.joined(separator: ", "))\(hint)")
            }
            return .success(.text(raw))
        case .address:
            if let error = AddressSyntax.check(raw) { return .failure(ValueError(error)) }
            return .success(.text(raw))
        case .string:
            guard !raw.isEmpty else { return .failure("empty string") }
            return .success(.text(raw))
        case .redisURL:
            guard raw.hasPrefix("redis://") else {
                return .failure("session store \"\(raw)\" is not a redis://host:port URL")
            }
            let rest = String(raw.dropFirst("redis://".count))
            if let error = AddressSyntax.check(rest) {
                return .failure("session store \"\(raw)\" is not a redis://host:port URL: \(error)")
            }
            return .success(.text(raw))
        case .statusRange:
            let parts = raw.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count <= 2, let lo = Int(parts[0]), let hi = Int(parts.last!), (100...599).contains(lo),
                (100...599).contains(hi), lo <= hi
            else { return .failure("\"\(raw)\" is not a status range like 200-399") }
            return .success(.range(lo, hi))
        case .networks:
            if raw == "none" { return .success(.networks([])) }
            switch [Network].parseList(raw) {
            case .success(let list): return .success(.networks(list))
            case .failure(let e): return .failure(ValueError("\(e) (give networks like 10.0.0.0/8,192.168.1.7,2001:db8::/32)"))
            }
        }
    }
}

/// `host:port` syntax, checked without resolving names (that happens when the
/// proxy starts or reloads, not in the pure config module).
enum AddressSyntax {
    static func check(_ text: String) -> String? {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return "address \"\(text)\" is not [ipv6]:port"
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return "address \"\(text)\" has no port (expected host:port)" }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            if host.contains(":") { return "address \"\(text)\": write IPv6 addresses as [addr]:port" }
        }
        guard let p = Int(port), !port.hasPrefix("+") else { return "port \"\(port)\" in \"\(text)\" is not a number" }
        guard (1...65535).contains(p) else { return "port \(p) in \"\(text)\" is out of range 1–65535" }
        for c in host.unicodeScalars where !(c.properties.isAlphabetic && c.isASCII) && !("0"..."9").contains(c) && !"-._:*".unicodeScalars.contains(c) {
            return "host \"\(host)\" in \"\(text)\" has an invalid character \"\(c)\""
        }
        return nil
    }
}

/// Why a value did not parse, as a sentence for the error message.
struct ValueError: Error, ExpressibleByStringInterpolation {
    var message: String

    init(_ message: String) { self.message = message }
    init(stringLiteral value: String) { message = value }
    init(stringInterpolation: DefaultStringInterpolation) { message = String(stringInterpolation: stringInterpolation) }
}
