import Config
import HTTPServer
import Proxy
import Stats

/// What the admin endpoint answers: `/healthz` to anyone; the login form
/// when a token is configured; then, to a request that proves a role (see
/// `AdminAccess`), the dashboard, `/stats`, `/metrics`, and (admin role
/// only) the backend actions. Stats and actions run on the proxy's control
/// queue and answer later through the responder.
struct AdminRoutes: Sendable {
    let server: ProxyServer
    let access: AdminAccess

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) -> HTTPResponse? {
        let path = request.path
        if path == "/healthz" {
            if server.stopping.load(ordering: .relaxed) {
                return HTTPResponse(503, "text/plain", "stopping\n", fields: Self.noStore)
            }
            return HTTPResponse(200, "text/plain", "ok\n", fields: Self.noStore)
        }
        // Every state change, login and logout included, comes from the
        // dashboard's own page or from a client that names no site.
        if request.method == "POST" && Self.crossSite(request) {
            return HTTPResponse(403, "text/plain", "cross-site request refused: admin actions come from the dashboard's own page, or from a client that sends no Origin\n", fields: Self.noStore)
        }
        if path == "/login" {
            guard access.required else { return HTTPResponse(status: 303, fields: Self.noStore + [("Location", "/")], body: .bytes([])) }
            return login(request)
        }
        if path == "/logout" {
            guard request.method == "POST" else { return HTTPResponse(405, "text/plain", "use POST\n", fields: Self.noStore + [("Allow", "POST")]) }
            return HTTPResponse(status: 303, fields: Self.noStore + [("Location", "/login"), ("Set-Cookie", AdminAccess.clearCookie)], body: .bytes([]))
        }
        let role = access.role(of: request)
        guard role > .none else {
            if path == "/" && request.method == "GET" && request.header("authorization") == nil {
                return HTTPResponse(status: 303, fields: Self.noStore + [("Location", "/login")], body: .bytes([]))
            }
            return HTTPResponse(401, "text/plain", "bearer token required (or log in at /login)\n", fields: Self.noStore + [("WWW-Authenticate", "Bearer realm=\"tether\"")])
        }
        let parts = path.split(separator: "/").map(String.init)
        if parts.count == 3 && parts[0] == "backends" {
            guard request.method == "POST" else { return HTTPResponse(405, "text/plain", "use POST\n", fields: Self.noStore + [("Allow", "POST")]) }
            guard role == .write else {
                return HTTPResponse(403, "text/plain", "read-only token: backend actions need the admin token\n", fields: Self.noStore)
            }
            let state: AdminState
            switch parts[2] {
            case "drain": state = .draining
            case "maintenance": state = .maintenance
            case "enable": state = .active
            default: return HTTPResponse(404, "text/plain", "unknown action \(parts[2]): drain, maintenance or enable\n", fields: Self.noStore)
            }
            server.setState(backend: parts[1], state) { result in
                switch result {
                case .done:
                    responder.respond(HTTPResponse(200, "application/json", "{\"backend\":\(JSONWriter.quote(parts[1])),\"admin_state\":\"\(state.rawValue)\"}\n", fields: Self.noStore))
                case .unknownBackend:
                    responder.respond(HTTPResponse(404, "text/plain", "unknown backend \(parts[1])\n", fields: Self.noStore))
                }
            }
            return nil
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPResponse(405, "text/plain", "method not allowed\n", fields: Self.noStore + [("Allow", "GET")])
        }
        switch path {
        case "/":
            let page = role == .read ? Dashboard.readOnly : access.required ? Dashboard.withLogout : Dashboard.open
            return HTTPResponse(200, "text/html; charset=utf-8", page, fields: Self.noStore + Self.pageFields)
        case "/stats":
            server.stats { responder.respond(HTTPResponse(200, "application/json", StatsJSON.render($0), fields: Self.noStore)) }
            return nil
        case "/metrics":
            server.stats { responder.respond(HTTPResponse(200, "text/plain; version=0.0.4; charset=utf-8", PrometheusText.render($0), fields: Self.noStore)) }
            return nil
        default:
            return HTTPResponse(404, "text/plain", "not found: try /, /stats, /metrics, /healthz\n", fields: Self.noStore)
        }
    }

    /// `GET /login`: the form; `POST /login`: the token it sent, exchanged
    /// for the session cookie and a redirect to the dashboard (the token
    /// travels in the body only, never in a URL or a log).
    private func login(_ request: HTTPRequest) -> HTTPResponse {
        switch request.method {
        case "GET", "HEAD":
            return HTTPResponse(200, "text/html; charset=utf-8", LoginPage.html(failed: false), fields: Self.noStore + Self.pageFields)
        case "POST":
            let presented = AdminAccess.formField(request.body, name: "token") ?? []
            let role = access.role(presenting: presented)
            guard role > .none else {
                return HTTPResponse(401, "text/html; charset=utf-8", LoginPage.html(failed: true), fields: Self.noStore + Self.pageFields)
            }
            return HTTPResponse(status: 303, fields: Self.noStore + [("Location", "/"), ("Set-Cookie", access.setCookie(for: role))], body: .bytes([]))
        default:
            return HTTPResponse(405, "text/plain", "use GET or POST\n", fields: Self.noStore + [("Allow", "GET, POST")])
        }
    }

    /// The pages are never framed by another site (clickjacking) and load
    /// nothing from elsewhere. `same-origin`, not `no-referrer`: with the
    /// latter Chromium sends `Origin: null` on the form's own POST, which
    /// the cross-site check must refuse.
    static let pageFields = [
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'"),
        ("Referrer-Policy", "same-origin"),
    ]

    static let noStore = [("Cache-Control", "no-store")]

    /// A state-changing request sent by a page of another site (any page
    /// the operator has open can POST to a loopback address): refused,
    /// token or not, as browsers say where a request comes from. The
    /// dashboard's own requests are `same-origin`; curl and scripts send
    /// neither field.
    static func crossSite(_ request: HTTPRequest) -> Bool {
        if let site = request.header("sec-fetch-site")?.lowercased(), site != "same-origin" && site != "none" { return true }
        guard let origin = request.header("origin")?.lowercased() else { return false }
        guard let host = request.header("host")?.lowercased() else { return true }
        return origin != "http://\(host)" && origin != "https://\(host)"
    }
}
