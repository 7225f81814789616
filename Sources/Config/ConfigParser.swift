/// proxy.conf → `ProxyConfig`, collecting every error with its line and
/// column instead of stopping at the first.
public enum ConfigParser {
    /// Where each directive was written, for errors found after parsing.
    struct Locations {
        var firstOf: [String: SourceLocation] = [:]
        var backends: [SourceLocation] = []
        var listeners: [SourceLocation] = []
        var lastLine = 1
        /// Directives written, parsed or not (a broken `backend` line should
        /// not also produce "no backend directive").
        var written: Set<String> = []
    }

    public static func parse(_ text: String, file: String) -> Result<ProxyConfig, ConfigErrors> {
        var config = ProxyConfig()
        var errors: [ConfigError] = []
        var locations = Locations()
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            func fail(_ column: Int, _ message: String) {
                errors.append(ConfigError(file: file, line: lineNumber, column: column, message: message))
            }
            let tokens: [ConfigToken]
            switch ConfigLexer.tokenize(line) {
            case .failure(let f):
                fail(f.column, f.message)
                continue
            case .success(let t):
                tokens = t
            }
            guard let head = tokens.first else { continue }
            locations.lastLine = lineNumber
            let here = SourceLocation(line: lineNumber, column: head.column)
            guard !head.quoted, let spec = Directives.named(head.text) else {
                let hint = Suggestion.closest(to: head.text, in: Directives.all.map(\.name)).map { " (did you mean \"\($0)\"?)" } ?? ""
                fail(head.column, "unknown directive \"\(head.text)\"\(hint)")
                continue
            }
            if !spec.repeatable, let first = locations.firstOf[spec.name] {
                fail(head.column, "duplicate directive \"\(spec.name)\" (first on line \(first.line))")
                continue
            }
            if locations.firstOf[spec.name] == nil { locations.firstOf[spec.name] = here }
            locations.written.insert(spec.name)
            guard let values = parseValues(spec, Array(tokens.dropFirst()), head: head, fail: fail) else { continue }
            spec.apply(&config, DirectiveValues(arguments: values.0, options: values.1, location: here))
            if spec.name == "backend" { locations.backends.append(here) }
            if spec.name == "listen" { locations.listeners.append(here) }
        }
        errors += ConfigValidator.check(&config, locations: locations, file: file)
        errors.sort { ($0.line, $0.column) < ($1.line, $1.column) }
        return errors.isEmpty ? .success(config) : .failure(ConfigErrors(errors))
    }

    /// Splits arguments from `key=value` options and parses both.
    private static func parseValues(
        _ spec: DirectiveSpec, _ tokens: [ConfigToken], head: ConfigToken, fail: (Int, String) -> Void
    ) -> ([ConfigValue], [String: ConfigValue])? {
        var arguments: [ConfigValue] = []
        var options: [String: ConfigValue] = [:]
        var positional: [ConfigToken] = []
        var ok = true
        for t in tokens {
            let eq = t.quoted && t.text.hasPrefix("\"") ? nil : t.text.firstIndex(of: "=")
            if let eq, !spec.options.isEmpty || positional.count >= spec.arguments.count {
                let key = String(t.text[..<eq])
                let raw = String(t.text[t.text.index(after: eq)...])
                guard let option = spec.options.first(where: { $0.key == key }) else {
                    let hint = Suggestion.closest(to: key, in: spec.options.map(\.key)).map { " (did you mean \"\($0)\"?)" } ?? ""
                    let known = spec.options.isEmpty ? "it takes no options" : "options: \(spec.options.map(\.key).joined(separator: ", "))"
                    fail(t.column, "unknown option \"\(key)\" for \"\(spec.name)\"\(hint); \(known)")
                    ok = false
                    continue
                }
                if options[key] != nil {
                    fail(t.column, "option \"\(key)\" given twice")
                    ok = false
                    continue
                }
                switch ConfigValue.parse(raw, as: option.kind) {
                case .success(let v): options[key] = v
                case .failure(let e):
                    fail(t.column, "\(spec.name) \(key): \(e.message)")
                    ok = false
                }
            } else if !t.quoted, let flag = spec.options.first(where: { $0.key == t.text && $0.kind == .flag }) {
                options[flag.key] = .flag(true)
            } else {
                positional.append(t)
            }
        }
        let required = spec.arguments.filter { !$0.optional }.count
        if positional.count < required || positional.count > spec.arguments.count {
            let column = positional.count > spec.arguments.count ? positional[spec.arguments.count].column : head.column
            let expected = required == spec.arguments.count ? "\(required)" : "\(required) to \(spec.arguments.count)"
            fail(column, "\"\(spec.name)\" takes \(expected) argument\(spec.arguments.count == 1 ? "" : "s"), got \(positional.count) (usage: \(spec.usage))")
            return nil
        }
        for (t, a) in zip(positional, spec.arguments) {
            switch ConfigValue.parse(t.text, as: a.kind) {
            case .success(let v): arguments.append(v)
            case .failure(let e):
                fail(t.column, "\(spec.name): \(e.message)")
                ok = false
            }
        }
        return ok ? (arguments, options) : nil
    }
}
