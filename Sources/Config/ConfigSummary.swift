/// What a configuration runs, in the words of the event log: the start-up
/// lines, and what a reload changed (nginx says only "reconfiguring";
/// an operator wants to see that the edit they meant is the one that took).
public enum ConfigSummary {
    public static func startup(_ c: ProxyConfig) -> [String] {
        ["listeners: " + c.listeners.map(describe).joined(separator: ", "), routing(c), "backends: " + c.backends.map(describe).joined(separator: ", ")]
    }

    /// One line per change from `old` to `new`; empty when nothing differs.
    public static func changes(from old: ProxyConfig, to new: ProxyConfig) -> [String] {
        var lines: [String] = []
        let before = Dictionary(old.backends.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Set(new.backends.map(\.name))
        for b in new.backends {
            guard let was = before[b.name] else {
                lines.append("backend added: \(describe(b))")
                continue
            }
            if was != b { lines.append("backend changed: \(describe(was)) -> \(describe(b))") }
        }
        for b in old.backends where !after.contains(b.name) { lines.append("backend removed: \(describe(b))") }
        let oldListeners = old.listeners.map(describe), newListeners = new.listeners.map(describe)
        for l in newListeners where !oldListeners.contains(l) { lines.append("listener added: \(l)") }
        for l in oldListeners where !newListeners.contains(l) { lines.append("listener removed: \(l)") }
        if routing(old) != routing(new) { lines.append("\(routing(old)) -> \(routing(new))") }
        if old.routing.hashSecret != new.routing.hashSecret { lines.append("hash_secret changed (affinity cookies sealed with the old one start new sessions)") }
        var groups: [String] = []
        if old.timeouts != new.timeouts { groups.append("timeouts") }
        if old.limits != new.limits { groups.append("limits") }
        if old.pool != new.pool { groups.append("pool") }
        if old.health != new.health { groups.append("health checks") }
        if old.accessLog != new.accessLog || old.accessLogFormat != new.accessLogFormat { groups.append("access_log") }
        if old.requestID != new.requestID { groups.append("request_id") }
        if old.admin != new.admin { groups.append("admin") }
        if old.maxConnections != new.maxConnections { groups.append("max_connections") }
        if old.retries != new.retries || old.slowStart != new.slowStart { groups.append("retries / slow_start") }
        if old.routing != new.routing && routing(old) == routing(new) && old.routing.hashSecret == new.routing.hashSecret {
            groups.append("routing settings")
        }
        if !groups.isEmpty { lines.append("changed: " + groups.joined(separator: ", ")) }
        return lines
    }

    public static func describe(_ b: BackendConfig) -> String {
        var s = "\(b.name) \(b.address)"
        if b.weight != 1 { s += " weight=\(b.weight)" }
        if let r = b.route { s += " route=\(r)" }
        if b.backup { s += " backup" }
        if b.adminState != .active { s += " \(b.adminState.rawValue)" }
        if b.maxConnections > 0 { s += " max_conns=\(b.maxConnections)" }
        return s
    }

    static func describe(_ l: ListenerConfig) -> String {
        "\(l.address) (\(l.tls != nil ? "tls" : l.redirectHTTPS ? "redirect to https" : "plain"))"
    }

    static func routing(_ c: ProxyConfig) -> String {
        var routing = "routing \(c.routing.mode.rawValue) (\(c.routing.strategy.rawValue))"
        if c.routing.mode == .sticky {
            routing += ", cookie \(c.routing.cookie.name)"
            if let app = c.routing.appCookie { routing += ", app_cookie \(app)" + (c.routing.appCookiePrefix ? " prefix" : "") }
        }
        if let store = c.routing.sessionStore { routing += ", session store \(store)" }
        return routing
    }
}
