/// Checks that need the whole file: required directives, uniqueness, and
/// settings that only make sense together.
enum ConfigValidator {
    static func check(_ c: inout ProxyConfig, locations: ConfigParser.Locations, file: String) -> [ConfigError] {
        var errors: [ConfigError] = []
        func fail(_ at: SourceLocation?, _ message: String) {
            let loc = at ?? SourceLocation(line: locations.lastLine, column: 1)
            errors.append(ConfigError(file: file, line: loc.line, column: loc.column, message: message))
        }

        if c.listeners.isEmpty && !locations.written.contains("listen") { fail(nil, "no \"listen\" directive: give at least one address to accept clients on") }
        if let problem = c.accessLogFormatProblem { fail(locations.firstOf["access_log"], problem) }
        if c.backends.isEmpty && !locations.written.contains("backend") { fail(nil, "no \"backend\" directive: give at least one app server") }
        if !c.backends.isEmpty && c.backends.allSatisfy(\.backup) {
            fail(locations.backends.first, "every backend is a backup: at least one must be a primary")
        }

        var names: [String: Int] = [:]
        var routes: [String: Int] = [:]
        for (i, b) in c.backends.enumerated() {
            let loc = i < locations.backends.count ? locations.backends[i] : nil
            if let first = names[b.name] {
                fail(loc, "duplicate backend name \"\(b.name)\" (first on line \(locations.backends[first].line))")
            } else {
                names[b.name] = i
            }
            if let route = b.route {
                if let first = routes[route] {
                    fail(loc, "duplicate route \"\(route)\" (also backend \"\(c.backends[first].name)\" on line \(locations.backends[first].line))")
                } else {
                    routes[route] = i
                }
            }
        }

        // The affinity cookie names a backend by its route, else its name
        // (`AffinitySeal`): each must be unique and fit in a cookie value.
        var identities: [String: Int] = [:]
        for (i, b) in c.backends.enumerated() {
            let loc = i < locations.backends.count ? locations.backends[i] : nil
            let identity = b.route ?? b.name
            if identity.utf8.contains(where: { $0 < 0x21 || $0 > 0x7E || $0 == 0x22 || $0 == 0x2C || $0 == 0x3B || $0 == 0x5C }) {
                fail(loc, "backend \(b.route == nil ? "name" : "route") \"\(identity)\" cannot go in the affinity cookie (no spaces, quotes, commas, semicolons or backslashes); rename it or give it a route=")
            } else if let first = identities[identity], (b.route == nil) != (c.backends[first].route == nil) {
                // (two names or two routes alike are reported above)
                fail(loc, "backend \"\(b.name)\" and backend \"\(c.backends[first].name)\" would both be \"\(identity)\" in the affinity cookie (a route is a backend's identity there, else its name)")
            } else {
                identities[identity] = i
            }
        }

        var addresses: [String: Int] = [:]
        for (i, l) in c.listeners.enumerated() {
            let loc = i < locations.listeners.count ? locations.listeners[i] : nil
            if let first = addresses[l.address] {
                fail(loc, "duplicate listen address \(l.address) (first on line \(locations.listeners[first].line))")
            }
            addresses[l.address] = i
            if l.address == c.admin.address {
                fail(loc, "listen address \(l.address) is also the admin address")
            }
            if l.proxyProtocol && l.proxyTrusted == nil {
                fail(loc, "listener \(l.address) has proxy_protocol but no trusted=: name the networks of the balancers that send the header (e.g. trusted=10.0.0.0/8), or anyone could claim any address")
            } else if l.proxyProtocol && l.proxyTrusted?.isEmpty == true {
                fail(loc, "listener \(l.address) has proxy_protocol trusted=none: every connection would be refused; name the balancers' networks")
            } else if !l.proxyProtocol && l.proxyTrusted != nil {
                fail(loc, "listener \(l.address) has trusted= without proxy_protocol; trusted= names who may send PROXY headers (for X-Forwarded-For use trusted_proxies)")
            }
            if let tls = l.tls {
                if tls.certificates.isEmpty {
                    fail(loc, "TLS listener \(l.address) needs cert=PATH (and key=PATH unless the key is in the same file)")
                } else if tls.keyCountMismatch {
                    fail(loc, "TLS listener \(l.address) names \(tls.certificates.count) cert= file(s) but a different number of key= files; give one key per certificate, in the same order")
                }
                if l.redirectHTTPS {
                    fail(loc, "listener \(l.address) has both tls and redirect_https; redirect_https belongs on a plain listener beside a TLS one")
                }
            }
        }

        let routingLoc = locations.firstOf["routing"]
        if c.routing.sessionStore != nil {
            if routingLoc != nil && c.routing.mode == .sticky {
                fail(routingLoc, "routing sticky with a session_store: sessions in a shared store need no pinning; use \"routing balanced\"")
            }
            c.routing.mode = .balanced
            if c.routing.store.onDown == .sticky && c.routing.hashSecret == nil {
                fail(locations.firstOf["session_store"], "session_store on_down=sticky pins sessions while the store is down: it needs a hash_secret (e.g. hash_secret \"\(randomSecret())\")")
            }
        }
        if c.routing.mode == .sticky {
            if let secret = c.routing.hashSecret {
                if secret.count < 16 {
                    fail(locations.firstOf["hash_secret"], "hash_secret is \(secret.count) characters; use at least 16 so session keys cannot be aimed at one backend")
                }
            } else {
                fail(routingLoc ?? locations.firstOf["sticky_cookie"], "sticky routing needs a hash_secret, the same on every replica (e.g. hash_secret \"\(randomSecret())\")")
            }
        }
        if let token = c.admin.token, token.count < 8 {
            fail(locations.firstOf["admin"], "admin token is \(token.count) characters; use at least 8")
        }
        if let read = c.admin.readToken {
            if read.count < 8 {
                fail(locations.firstOf["admin"], "admin read_token is \(read.count) characters; use at least 8")
            } else if c.admin.token == nil {
                fail(locations.firstOf["admin"], "admin read_token needs a token too: without one, anyone may change what read_token only lets them read")
            } else if read == c.admin.token {
                fail(locations.firstOf["admin"], "admin read_token is the same as token: give it its own value")
            }
        }
        if let problem = c.admin.exposureProblem {
            fail(locations.firstOf["admin"], problem)
        }
        return errors
    }

    /// A suggestion for the hash_secret error message (never used silently:
    /// replicas with different secrets would route the same session differently).
    static func randomSecret() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<32).map { _ in alphabet.randomElement()! })
    }
}
