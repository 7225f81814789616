/// A small JSON writer for the admin endpoint's documents (no Foundation).
public struct JSONWriter {
    public private(set) var text = ""
    private var needsComma = [false]

    public init() {}

    private mutating func separator() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }

    public mutating func key(_ k: String) {
        separator()
        text += Self.quote(k) + ":"
        needsComma[needsComma.count - 1] = false
    }

    public mutating func beginObject(_ k: String? = nil) {
        if let k { key(k) } else { separator() }
        text += "{"
        needsComma.append(false)
    }

    public mutating func endObject() {
        needsComma.removeLast()
        text += "}"
        needsComma[needsComma.count - 1] = true
    }

    public mutating func beginArray(_ k: String? = nil) {
        if let k { key(k) } else { separator() }
        text += "["
        needsComma.append(false)
    }

    public mutating func endArray() {
        needsComma.removeLast()
        text += "]"
        needsComma[needsComma.count - 1] = true
    }

    private mutating func raw(_ k: String?, _ v: String) {
        if let k { key(k) } else { separator() }
        text += v
        needsComma[needsComma.count - 1] = true
    }

    public mutating func value(_ k: String? = nil, _ v: String?) { raw(k, v.map(Self.quote) ?? "null") }
    public mutating func value(_ k: String? = nil, _ v: Int) { raw(k, String(v)) }
    public mutating func value(_ k: String? = nil, _ v: Bool) { raw(k, v ? "true" : "false") }
    public mutating func value(_ k: String? = nil, _ v: Double?) {
        guard let v, v.isFinite else { return raw(k, "null") }
        raw(k, Self.number(v))
    }

    public static func number(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
        let s = String((v * 1000).rounded() / 1000)
        return s
    }

    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
