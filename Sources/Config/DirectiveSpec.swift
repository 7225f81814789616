/// One directive of proxy.conf: its arguments, its `key=value` options, its
/// documentation and how it changes the configuration. The table of these
/// (`Directives.all`) is the single source for the parser, `tether check`,
/// docs/CONFIG.md and the test that proxy.conf.example shows every directive.
struct DirectiveSpec: Sendable {
    struct Argument: Sendable {
        var name: String
        var kind: ValueKind
        var optional = false
    }

    struct Option: Sendable {
        var key: String
        var kind: ValueKind
        var defaultText: String
        var summary: String
    }

    var name: String
    var arguments: [Argument]
    var options: [Option] = []
    /// May appear more than once (listen, backend).
    var repeatable = false
    var defaultText: String
    var summary: String
    var apply: @Sendable (inout ProxyConfig, DirectiveValues) -> Void

    var usage: String {
        var parts = [name]
        for a in arguments { parts.append(a.optional ? "[\(a.name.uppercased())]" : a.name.uppercased()) }
        if !options.isEmpty { parts.append("[key=value ...]") }
        return parts.joined(separator: " ")
    }
}

/// The values one occurrence of a directive carried.
struct DirectiveValues: Sendable {
    var arguments: [ConfigValue]
    var options: [String: ConfigValue]
    var location: SourceLocation

    func argument(_ i: Int) -> ConfigValue? { i < arguments.count ? arguments[i] : nil }
}
