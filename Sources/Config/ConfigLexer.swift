/// Splits one line of proxy.conf into words. Words are separated by spaces or
/// tabs; `"…"` quotes a value (with `\"` and `\\` escapes), also after `key=`;
/// `#` at the start of a word begins a comment.
struct ConfigToken: Equatable {
    var text: String
    /// 1-based column where the word starts.
    var column: Int
    var quoted: Bool
}

enum ConfigLexer {
    struct Failure: Error {
        var column: Int
        var message: String
    }

    static func tokenize(_ line: Substring) -> Result<[ConfigToken], Failure> {
        var tokens: [ConfigToken] = []
        let chars = Array(line)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\r" {
                i += 1
                continue
            }
            if c == "#" { break }
            let start = i
            var text = ""
            var quoted = false
            while i < chars.count && chars[i] != " " && chars[i] != "\t" && chars[i] != "\r" {
                if chars[i] == "\"" {
                    quoted = true
                    let open = i
                    i += 1
                    var closed = false
                    while i < chars.count {
                        if chars[i] == "\\" && i + 1 < chars.count && (chars[i + 1] == "\"" || chars[i + 1] == "\\") {
                            text.append(chars[i + 1])
                            i += 2
                            continue
                        }
                        if chars[i] == "\"" {
                            closed = true
                            i += 1
                            break
                        }
                        text.append(chars[i])
                        i += 1
                    }
                    if !closed { return .failure(Failure(column: open + 1, message: "unterminated quoted string")) }
                } else {
                    if chars[i].asciiValue.map({ $0 < 0x20 || $0 == 0x7F }) ?? false {
                        return .failure(Failure(column: i + 1, message: "control character in configuration"))
                    }
                    text.append(chars[i])
                    i += 1
                }
            }
            tokens.append(ConfigToken(text: text, column: start + 1, quoted: quoted))
        }
        return .success(tokens)
    }
}

/// Edit distance, for "did you mean" suggestions.
enum Suggestion {
    static func closest(to word: String, in candidates: [String]) -> String? {
        var best: (String, Int)? = nil
        for c in candidates {
            let d = distance(word.lowercased(), c)
            if d <= max(2, c.count / 3), best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions
    /// and swaps of neighbours ("heatlh" → "health" is one edit).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
