/// Parsers for the value syntaxes settings share, on the command line and in
/// proxy.conf: durations (`500ms`, `2s`, `5m`, `1h`) and sizes (`16k`, `64m`, `1g`).
public enum ValueParsing {
    /// A positive duration. A bare number means seconds.
    public static func duration(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, millis) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // "ms" must win over "s"; "5ms" must not be read as "5m" + "s".
            if suffix == "s" && number.hasSuffix("m") { continue }
            guard let n = Int64(number), n > 0 else { return nil }
            let (total, overflow) = n.multipliedReportingOverflow(by: millis)
            return overflow ? nil : .milliseconds(total)
        }
        guard let n = Int64(text), n > 0 else { return nil }
        return .seconds(n)
    }

    /// A size in bytes: a number with an optional `k`, `m` or `g` (powers of 1024).
    public static func size(_ text: String) -> Int? {
        let lower = text.lowercased()
        let multipliers: [(Character, Int)] = [("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30)]
        for (suffix, m) in multipliers where lower.last == suffix {
            guard let n = Int(lower.dropLast()), n >= 0 else { return nil }
            let (total, overflow) = n.multipliedReportingOverflow(by: m)
            return overflow ? nil : total
        }
        guard let n = Int(lower), n >= 0 else { return nil }
        return n
    }
}
