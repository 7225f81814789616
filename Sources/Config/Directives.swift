import ClientAddress

/// Every directive proxy.conf understands.
enum Directives {
    static let all: [DirectiveSpec] = global + timeouts + limits + routing + health + [backend]

    static func named(_ name: String) -> DirectiveSpec? { all.first { $0.name == name } }

    // MARK: Global

    static let global: [DirectiveSpec] = [
        DirectiveSpec(
            name: "listen", arguments: [.init(name: "address", kind: .address)],
            options: [
                .init(key: "tls", kind: .flag, defaultText: "off", summary: "terminate TLS on this listener"),
                .init(key: "cert", kind: .string, defaultText: "–", summary: "certificate chain PEM file(s), comma-separated: the first is the default, the others are chosen by SNI"),
                .init(key: "key", kind: .string, defaultText: "the cert file", summary: "private key PEM file(s), one per cert, same order"),
                .init(key: "min_version", kind: .word(["1.2", "1.3"]), defaultText: "1.2", summary: "lowest TLS version accepted"),
                .init(key: "ciphers", kind: .string, defaultText: "ECDHE with AES-GCM or ChaCha20", summary: "TLS 1.2 cipher list (OpenSSL syntax); TLS 1.3 suites are OpenSSL's"),
                .init(key: "redirect_https", kind: .flag, defaultText: "off", summary: "answer every request with a redirect to https"),
                .init(key: "max_connections", kind: .integer(1...10_000_000), defaultText: "no own cap", summary: "client connections open at once on this listener; past it this listener stops accepting (as with the global `max_connections`)"),
                .init(key: "proxy_protocol", kind: .flag, defaultText: "off", summary: "every connection starts with a PROXY protocol header (v1 or v2, before TLS), as an L4 balancer sends with HAProxy's `send-proxy-v2`; its address is the client's for logs, `X-Forwarded-For`, `Forwarded` and stats. Needs `trusted=`"),
                .init(key: "trusted", kind: .networks, defaultText: "–", summary: "the networks PROXY headers are taken from (the balancers' addresses); a connection from anywhere else, or with a bad header, is closed and counted"),
            ],
            repeatable: true, defaultText: "required",
            summary: "Accept clients on `host:port` (several allowed)."
        ) { c, v in
            var l = ListenerConfig(address: v.argument(0)?.text ?? "")
            if v.options["tls"]?.bool == true || v.options["cert"] != nil {
                var tls = TLSListenerConfig()
                let certs = (v.options["cert"]?.text ?? "").split(separator: ",").map(String.init)
                let keys = (v.options["key"]?.text ?? "").split(separator: ",").map(String.init)
                tls.keyCountMismatch = !keys.isEmpty && keys.count != certs.count
                for (i, cert) in certs.enumerated() { tls.certificates.append((cert: cert, key: i < keys.count ? keys[i] : cert)) }
                if let min = v.options["min_version"]?.text { tls.minVersion = min }
                tls.ciphers = v.options["ciphers"]?.text
                l.tls = tls
            }
            l.redirectHTTPS = v.options["redirect_https"]?.bool ?? false
            l.maxConnections = v.options["max_connections"]?.int
            l.proxyProtocol = v.options["proxy_protocol"]?.bool ?? false
            l.proxyTrusted = v.options["trusted"]?.networks
            c.listeners.append(l)
        },
        DirectiveSpec(
            name: "admin", arguments: [.init(name: "address", kind: .address)],
            options: [
                .init(key: "token", kind: .string, defaultText: "none", summary: "required on every admin request: as a bearer token, or typed once into the dashboard's login form"),
                .init(key: "read_token", kind: .string, defaultText: "none", summary: "a second token that reads (dashboard, `/stats`, `/metrics`) but changes nothing: for Prometheus and monitors"),
                .init(key: "insecure", kind: .flag, defaultText: "off", summary: "accept an address other hosts can reach with no token"),
            ],
            defaultText: "127.0.0.1:9090",
            summary: "Address of the admin endpoint (dashboard, JSON stats, metrics). Other than loopback, it needs a token (or `insecure`)."
        ) { c, v in
            c.admin.address = v.argument(0)?.text ?? c.admin.address
            c.admin.token = v.options["token"]?.text
            c.admin.readToken = v.options["read_token"]?.text
            c.admin.insecure = v.options["insecure"]?.bool ?? false
        },
        DirectiveSpec(
            name: "workers", arguments: [.init(name: "count", kind: .integer(0...256))],
            defaultText: "0 (one per core)", summary: "Event loops. Changing it needs a restart."
        ) { c, v in c.workers = v.argument(0)?.int ?? 0 },
        DirectiveSpec(
            name: "max_connections", arguments: [.init(name: "count", kind: .integer(1...10_000_000))],
            defaultText: "10000", summary: "Client connections open at once; past it Tether stops accepting until one closes."
        ) { c, v in c.maxConnections = v.argument(0)?.int ?? c.maxConnections },
        DirectiveSpec(
            name: "access_log", arguments: [.init(name: "target", kind: .string)],
            options: [
                .init(key: "format", kind: .string, defaultText: "standard", summary: "`standard`, `combined` (what log tools read), `json` (one object per line, every field), or field names joined by commas (see docs/OPERATIONS.md)"),
            ],
            defaultText: "stdout",
            summary: "`stdout`, `off`, or a file path: one line per request. The `standard` line is `CLIENT [TIME] \"REQUEST LINE\" STATUS BYTES BACKEND BACKEND_MS TOTAL_MS`, TIME in UTC to the millisecond (`2026-12-01T10:04:05.123Z`); a tunnel (a WebSocket) has its line when it ends: status `101`, the bytes to the client, its life as the times, then `tunnel=CAUSE up=BYTES` (`closed`, `timeout`, `client_error`, `backend_error`, `backend_down` or `maintenance`; the bytes to the backend). `SIGUSR1` (or a reload) opens the file again after rotation."
        ) { c, v in
            switch v.argument(0)?.text {
            case "off": c.accessLog = .off
            case "stdout", nil: c.accessLog = .stdout
            case let path?: c.accessLog = .file(path)
            }
            if let text = v.options["format"]?.text {
                do throws(AccessLogFormat.ParseError) { c.accessLogFormat = try AccessLogFormat(parsing: text) } catch { c.accessLogFormatProblem = error.message }
            }
        },
        DirectiveSpec(
            name: "log_level", arguments: [.init(name: "level", kind: .word(LogLevel.allCases.map(\.rawValue)))],
            defaultText: "info",
            summary: "The least severe event line written to stderr: `debug`, `info` (start-up, reloads, health, stops), `warning` (a backend or the store down, a graceful stop that cut requests, errors Tether answered with 5xx), `error`. A reload applies it."
        ) { c, v in c.logLevel = LogLevel(rawValue: v.argument(0)?.text ?? "info") ?? .info },
        DirectiveSpec(
            name: "log_format", arguments: [.init(name: "format", kind: .word(LogFormat.allCases.map(\.rawValue)))],
            defaultText: "text",
            summary: "Event lines as `text` (`tether: [2026-12-01T10:04:05.123Z] warning: …`) or `json` (one object a line: `time`, `level`, `event`, `message`). A reload applies it."
        ) { c, v in c.logFormat = LogFormat(rawValue: v.argument(0)?.text ?? "text") ?? .text },
        DirectiveSpec(
            name: "trusted_proxies", arguments: [.init(name: "networks", kind: .networks)],
            defaultText: "none",
            summary: "Hops whose `X-Forwarded-For` and `Forwarded` are believed: from a client in these networks they are kept and Tether's hop is added; from anyone else they are replaced by what Tether saw. The client is the PROXY header's address on a `proxy_protocol` listener, else the socket's."
        ) { c, v in c.trustedProxies = v.argument(0)?.networks ?? [] },
        DirectiveSpec(
            name: "forwarded_header", arguments: [.init(name: "mode", kind: .flag)],
            defaultText: "off",
            summary: "Also send the RFC 7239 `Forwarded` field (`for=CLIENT;proto=http|https;host=HOST`), under the same trust rule as `X-Forwarded-For`. Off: a `Forwarded` from a trusted hop passes unchanged and anyone else's is removed."
        ) { c, v in c.forwardedHeader = v.argument(0)?.bool ?? false },
        DirectiveSpec(
            name: "request_id", arguments: [.init(name: "mode", kind: .word(["off", "on", "trust"]))],
            defaultText: "off",
            summary: "`on`: every request gets an `X-Request-ID` (32 hex digits), sent to the backend, returned to the client and logged (`request_id` field); a client's is replaced. `trust`: a client's own (1 to 128 visible characters) is kept, for a trusted hop in front that makes them. `off`: neither."
        ) { c, v in
            c.requestID = RequestIDMode(rawValue: v.argument(0)?.text ?? "off") ?? .off
        },
    ]

    // MARK: Timeouts

    static func timeout(_ name: String, _ defaultText: String, _ summary: String, _ set: @escaping @Sendable (inout ProxyConfig, Duration) -> Void) -> DirectiveSpec {
        DirectiveSpec(name: name, arguments: [.init(name: "duration", kind: .duration)], defaultText: defaultText, summary: summary) { c, v in
            if let d = v.argument(0)?.duration { set(&c, d) }
        }
    }

    static let timeouts: [DirectiveSpec] = [
        timeout("header_timeout", "10s", "From accept (or the first byte of a later request) to a complete request head; then `408`.") { $0.timeouts.header = $1 },
        timeout("handshake_timeout", "10s", "From accept to a finished TLS handshake on a TLS listener; then the connection is closed.") { $0.timeouts.handshake = $1 },
        timeout("client_idle_timeout", "60s", "Idle keep-alive time between requests on a client connection.") { $0.timeouts.clientIdle = $1 },
        timeout("client_body_timeout", "60s", "Longest pause while reading a request body.") { $0.timeouts.clientBody = $1 },
        timeout("send_timeout", "60s", "Longest pause while a client does not read its response; then the connection is closed.") { $0.timeouts.send = $1 },
        timeout("connect_timeout", "5s", "Connecting to a backend; then `504` (or the next backend).") { $0.timeouts.connect = $1 },
        timeout("backend_timeout", "60s", "Longest wait for each read of a backend response; then `504`.") { $0.timeouts.backendResponse = $1 },
        timeout("expect_timeout", "200ms", "How long an upload with `Expect: 100-continue` waits for the backend's `100 Continue` (or its early answer, such as `401`) before Tether sends `100` itself, so clients never wait their own timeout on backends that do not send it.") { $0.timeouts.expectContinue = $1 },
        timeout("tunnel_timeout", "1h", "A tunnel (a WebSocket after its `101`) with no byte either way for this long is closed, as HAProxy's `timeout tunnel`.") { $0.timeouts.tunnel = $1 },
        timeout("graceful_stop_timeout", "10s", "How long SIGTERM waits for requests in flight and open tunnels.") { $0.timeouts.gracefulStop = $1 },
        DirectiveSpec(
            name: "stop_delay", arguments: [.init(name: "duration", kind: .durationOrOff)], defaultText: "off",
            summary: "On SIGTERM, first answer the admin `/healthz` with `503` and keep accepting for this long, so an L4 balancer's health checks take the replica out of rotation before it stops accepting (HAProxy's `grace`; a Kubernetes `preStop` sleep); then the graceful stop. Set it above the balancer's check interval × fall count."
        ) { c, v in
            c.timeouts.stopDelay = v.argument(0)?.duration
        },
        DirectiveSpec(
            name: "request_timeout", arguments: [.init(name: "duration", kind: .durationOrOff)], defaultText: "off",
            summary: "The whole exchange, from a complete request head to the last response byte; then `504` (or, mid-response, the connection is reset). `off` or a duration."
        ) { c, v in
            c.timeouts.request = v.argument(0)?.duration
        },
        timeout("queue_timeout", "5s", "Longest wait in a backend's queue (at its `max_conns`); then `503`.") { $0.timeouts.queue = $1 },
        timeout("pool_idle_timeout", "60s", "An idle pooled backend connection is closed after this.") { $0.pool.idleTimeout = $1 },
    ]

    // MARK: Limits

    static let limits: [DirectiveSpec] = [
        DirectiveSpec(name: "max_request_line", arguments: [.init(name: "size", kind: .size)], defaultText: "8k", summary: "Longest request line; then `414`.") { c, v in
            c.limits.maxRequestLine = v.argument(0)?.int ?? c.limits.maxRequestLine
        },
        DirectiveSpec(name: "max_header_size", arguments: [.init(name: "size", kind: .size)], defaultText: "64k", summary: "Largest request head; then `431`.") { c, v in
            c.limits.maxHeaderBytes = v.argument(0)?.int ?? c.limits.maxHeaderBytes
        },
        DirectiveSpec(name: "max_header_count", arguments: [.init(name: "count", kind: .integer(1...10_000))], defaultText: "100", summary: "Most header fields; then `431`.") { c, v in
            c.limits.maxHeaderCount = v.argument(0)?.int ?? c.limits.maxHeaderCount
        },
        DirectiveSpec(name: "max_body_size", arguments: [.init(name: "size", kind: .size)], defaultText: "1g", summary: "Largest request body; then `413`.") { c, v in
            c.limits.maxBodySize = v.argument(0)?.int ?? c.limits.maxBodySize
        },
        DirectiveSpec(name: "pool_max_idle", arguments: [.init(name: "count", kind: .integer(0...100_000))], defaultText: "64", summary: "Idle keep-alive connections kept per backend per event loop.") { c, v in
            c.pool.maxIdlePerBackend = v.argument(0)?.int ?? c.pool.maxIdlePerBackend
        },
        DirectiveSpec(name: "retries", arguments: [.init(name: "count", kind: .integer(0...10))], defaultText: "2", summary: "Other backends tried for a request whose connection attempt failed.") { c, v in
            c.retries = v.argument(0)?.int ?? c.retries
        },
    ]

    // MARK: Routing

    static let routing: [DirectiveSpec] = [
        DirectiveSpec(
            name: "routing", arguments: [.init(name: "mode", kind: .word(RoutingConfig.Mode.allCases.map(\.rawValue)))],
            defaultText: "sticky (balanced when session_store is set)",
            summary: "`sticky`: pin each session to a backend by a keyed hash of its cookie. `balanced`: no pinning (sessions replicated or in a shared store)."
        ) { c, v in c.routing.mode = RoutingConfig.Mode(rawValue: v.argument(0)?.text ?? "") ?? .sticky },
        DirectiveSpec(
            name: "balance", arguments: [.init(name: "strategy", kind: .word(RoutingConfig.Strategy.allCases.map(\.rawValue)))],
            defaultText: "round_robin", summary: "How a request without a session (or every request, when balanced) picks a backend."
        ) { c, v in c.routing.strategy = RoutingConfig.Strategy(rawValue: v.argument(0)?.text ?? "") ?? .roundRobin },
        DirectiveSpec(
            name: "sticky_cookie", arguments: [.init(name: "name", kind: .string)],
            options: [
                .init(key: "max_age", kind: .duration, defaultText: "none (session cookie)", summary: "`Max-Age` of the cookie"),
                .init(key: "max_idle", kind: .duration, defaultText: "none", summary: "affinity ends after this long without a request (dates sealed in the cookie; it is re-issued as it ages)"),
                .init(key: "max_life", kind: .duration, defaultText: "none", summary: "affinity ends this long after the session began, whatever its traffic"),
                .init(key: "path", kind: .string, defaultText: "/", summary: "`Path`"),
                .init(key: "domain", kind: .string, defaultText: "none", summary: "`Domain`"),
                .init(key: "secure", kind: .word(AffinityCookieConfig.Secure.allCases.map(\.rawValue)), defaultText: "auto", summary: "`Secure`; auto = on TLS listeners"),
                .init(key: "httponly", kind: .flag, defaultText: "on", summary: "`HttpOnly`"),
                .init(key: "samesite", kind: .word(AffinityCookieConfig.SameSite.allCases.map(\.rawValue)), defaultText: "lax", summary: "`SameSite`"),
            ],
            defaultText: "TETHER", summary: "Tether's own affinity cookie and its attributes. Its value names the session's backend (by `route`, else name) under a tag keyed by `hash_secret`."
        ) { c, v in
            var k = c.routing.cookie
            k.name = v.argument(0)?.text ?? k.name
            if let d = v.options["max_age"]?.duration { k.maxAge = d }
            if let d = v.options["max_idle"]?.duration { k.maxIdle = d }
            if let d = v.options["max_life"]?.duration { k.maxLife = d }
            if let p = v.options["path"]?.text { k.path = p }
            if let d = v.options["domain"]?.text { k.domain = d }
            if let s = v.options["secure"]?.text { k.secure = .init(rawValue: s) ?? .auto }
            if let h = v.options["httponly"]?.bool { k.httpOnly = h }
            if let s = v.options["samesite"]?.text { k.sameSite = .init(rawValue: s) ?? .lax }
            c.routing.cookie = k
        },
        DirectiveSpec(
            name: "app_cookie", arguments: [.init(name: "name", kind: .string)],
            options: [
                .init(key: "prefix", kind: .flag, defaultText: "off",
                      summary: "put the backend's sealed identity before the cookie's value in responses (`IDENTITY.TAG~value`) and take it off requests, so a client that returns only this cookie keeps its backend; the backend never sees it"),
            ],
            defaultText: "none", summary: "Key sessions on an application cookie (`JSESSIONID`, `PHPSESSID`); a `.route` suffix picks the backend with that `route`."
        ) { c, v in
            c.routing.appCookie = v.argument(0)?.text
            c.routing.appCookiePrefix = v.options["prefix"]?.bool ?? false
        },
        DirectiveSpec(
            name: "hash_secret", arguments: [.init(name: "secret", kind: .string)],
            defaultText: "required for sticky routing",
            summary: "Key of the session hash (SipHash-2-4), at least 16 characters. The same on every replica, so replicas agree without sharing state."
        ) { c, v in c.routing.hashSecret = v.argument(0)?.text },
        DirectiveSpec(
            name: "bounded_load", arguments: [.init(name: "epsilon", kind: .number(0.01...10))],
            defaultText: "0.25", summary: "A backend above (1 + ε) × the average load takes no new sessions."
        ) { c, v in c.routing.boundedLoad = v.argument(0)?.double ?? c.routing.boundedLoad },
        DirectiveSpec(
            name: "session_store", arguments: [.init(name: "url", kind: .redisURL)],
            options: [
                .init(key: "interval", kind: .duration, defaultText: "2s", summary: "time between PINGs of the store"),
                .init(key: "timeout", kind: .duration, defaultText: "1s", summary: "a PING slower than this marks the store down"),
                .init(key: "on_down", kind: .word(StoreCheckConfig.OnDown.allCases.map(\.rawValue)), defaultText: "balance",
                      summary: "while the store is down: keep balancing and report it, or pin sessions (`sticky`, needs hash_secret)"),
            ],
            defaultText: "none", summary: "Sessions live in this store (`redis://host:port`): routing is balanced and the store's health is watched."
        ) { c, v in
            c.routing.sessionStore = v.argument(0)?.text
            if let d = v.options["interval"]?.duration { c.routing.store.interval = d }
            if let d = v.options["timeout"]?.duration { c.routing.store.timeout = d }
            if let w = v.options["on_down"]?.text { c.routing.store.onDown = .init(rawValue: w) ?? .balance }
        },
        DirectiveSpec(
            name: "slowstart", arguments: [.init(name: "duration", kind: .duration)],
            defaultText: "off", summary: "A backend that comes back (health checks pass again, `enable` after maintenance or drain, or a reload adds it) ramps its share of new sessions over this time."
        ) { c, v in c.slowStart = v.argument(0)?.duration },
    ]

    // MARK: Health

    static let healthOptions: [DirectiveSpec.Option] = [
        .init(key: "path", kind: .string, defaultText: "/health", summary: "path of the `GET` check"),
        .init(key: "host", kind: .string, defaultText: "backend address", summary: "`Host` header of the check"),
        .init(key: "interval", kind: .duration, defaultText: "2s", summary: "time between checks (with jitter)"),
        .init(key: "timeout", kind: .duration, defaultText: "1s", summary: "a check slower than this fails"),
        .init(key: "rise", kind: .integer(1...100), defaultText: "2", summary: "consecutive successes to come up"),
        .init(key: "fall", kind: .integer(1...100), defaultText: "3", summary: "consecutive failures to go down"),
        .init(key: "status", kind: .statusRange, defaultText: "200-399", summary: "expected status range"),
        .init(key: "passive_5xx", kind: .flag, defaultText: "off", summary: "count 5xx responses on the data path as failures"),
        .init(key: "enabled", kind: .flag, defaultText: "on", summary: "run active checks at all"),
    ]

    static let health: [DirectiveSpec] = [
        DirectiveSpec(
            name: "health_check", arguments: [], options: healthOptions,
            defaultText: "enabled, defaults below", summary: "Active and passive health checks, for every backend unless a backend overrides them."
        ) { c, v in
            var h = c.health
            if let p = v.options["path"]?.text { h.path = p }
            if let host = v.options["host"]?.text { h.host = host }
            if let d = v.options["interval"]?.duration { h.interval = d }
            if let d = v.options["timeout"]?.duration { h.timeout = d }
            if let n = v.options["rise"]?.int { h.rise = n }
            if let n = v.options["fall"]?.int { h.fall = n }
            if case .range(let lo, let hi)? = v.options["status"] {
                h.statusLow = lo
                h.statusHigh = hi
            }
            if let b = v.options["passive_5xx"]?.bool { h.passive5xx = b }
            if let b = v.options["enabled"]?.bool { h.enabled = b }
            c.health = h
        }
    ]

    // MARK: Backends

    static let backend = DirectiveSpec(
        name: "backend", arguments: [.init(name: "name", kind: .string), .init(name: "address", kind: .address)],
        options: [
            .init(key: "weight", kind: .integer(1...1000), defaultText: "1", summary: "share of new sessions / requests"),
            .init(key: "route", kind: .string, defaultText: "none", summary: "Tomcat `jvmRoute` of this backend"),
            .init(key: "backup", kind: .flag, defaultText: "off", summary: "takes traffic only while no primary is up"),
            .init(key: "max_conns", kind: .integer(0...1_000_000), defaultText: "0 (no limit)", summary: "concurrent requests to this backend; past it requests wait in its queue"),
            .init(key: "max_queue", kind: .integer(0...1_000_000), defaultText: "128", summary: "requests that may wait for this backend at `max_conns`; past it `503`"),
            .init(key: "drain", kind: .flag, defaultText: "off", summary: "start draining: no new sessions, existing ones stay"),
            .init(key: "maintenance", kind: .flag, defaultText: "off", summary: "start in maintenance: nothing is routed to it"),
            .init(key: "check", kind: .flag, defaultText: "on", summary: "active health checks for this backend"),
            .init(key: "check_path", kind: .string, defaultText: "health_check path", summary: "override of the check path"),
            .init(key: "check_interval", kind: .duration, defaultText: "health_check interval", summary: "override of the interval"),
            .init(key: "check_timeout", kind: .duration, defaultText: "health_check timeout", summary: "override of the timeout"),
            .init(key: "rise", kind: .integer(1...100), defaultText: "health_check rise", summary: "override of rise"),
            .init(key: "fall", kind: .integer(1...100), defaultText: "health_check fall", summary: "override of fall"),
        ],
        repeatable: true, defaultText: "at least one required",
        summary: "An app server: a unique name, its `host:port`, and options."
    ) { c, v in
        var b = BackendConfig(name: v.argument(0)?.text ?? "", address: v.argument(1)?.text ?? "", weight: v.options["weight"]?.int ?? 1)
        b.route = v.options["route"]?.text
        b.backup = v.options["backup"]?.bool ?? false
        b.maxConnections = v.options["max_conns"]?.int ?? 0
        b.maxQueue = v.options["max_queue"]?.int ?? b.maxQueue
        if v.options["drain"]?.bool == true { b.adminState = .draining }
        if v.options["maintenance"]?.bool == true { b.adminState = .maintenance }
        b.health.enabled = v.options["check"]?.bool
        b.health.path = v.options["check_path"]?.text
        b.health.interval = v.options["check_interval"]?.duration
        b.health.timeout = v.options["check_timeout"]?.duration
        b.health.rise = v.options["rise"]?.int
        b.health.fall = v.options["fall"]?.int
        c.backends.append(b)
    }
}
