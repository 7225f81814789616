/// docs/CONFIG.md, generated from the directive table so the reference and
/// the parser cannot drift (a test compares the file with this output).
public enum ConfigReference {
    public static var directiveNames: [String] { Directives.all.map(\.name) }

    public static func markdown() -> String {
        var out = """
            # proxy.conf reference

            Generated from the parser's directive table (`tether config-reference`);
            a test fails if this file and the parser disagree. `proxy.conf.example`
            shows every directive with its default.

            Syntax: one directive per line; `#` starts a comment; words are separated
            by spaces; `"…"` quotes a value (`\\"` and `\\\\` inside); options are
            `key=value`, and an `on|off` option may be written as its bare name
            (`backup`). Durations: `500ms`, `2s`, `5m`, `1h` (a bare number is
            seconds). Sizes: `512`, `16k`, `64m`, `1g` (powers of 1024).

            `tether check --config proxy.conf` validates a file without starting;
            `SIGHUP` reloads it without dropping connections.

            """
        for spec in Directives.all {
            out += "\n## `\(spec.name)`\n\n"
            out += "`\(spec.usage)`\n\n"
            out += "\(spec.summary)\n\n"
            out += "Default: \(spec.defaultText)."
            out += spec.repeatable ? " May be repeated.\n" : "\n"
            if !spec.arguments.isEmpty {
                out += "\n| argument | value |\n| --- | --- |\n"
                for a in spec.arguments { out += "| \(a.name) | \(a.kind.label)\(a.optional ? " (optional)" : "") |\n" }
            }
            if !spec.options.isEmpty {
                out += "\n| option | value | default | meaning |\n| --- | --- | --- | --- |\n"
                for o in spec.options { out += "| `\(o.key)` | \(o.kind.label) | \(o.defaultText) | \(o.summary) |\n" }
            }
        }
        return out
    }
}
