import Config
import HTTPServer
import Proxy
import Stats

/// What the admin endpoint answers: `/healthz`, then (with the token, when
/// one is configured) the dashboard, `/stats`, `/metrics`, and the backend
/// actions. Stats and actions run on the proxy's control queue and answer
/// later through the responder.
struct AdminRoutes: Sendable {
    let server: ProxyServer
    /// The bearer token as bytes (nil: none required).
    let token: [UInt8]?

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) -> HTTPResponse? {
        let path = request.path
        if path == "/healthz" {
            return HTTPResponse(200, "text/plain", "ok\n", fields: Self.noStore)
        }
        guard authorized(request.header("authorization")) else {
            return HTTPResponse(401, "text/plain", "bearer token required\n", fields: Self.noStore + [("WWW-Authenticate", "Bearer realm=\"tether\"")])
        }
        let parts = path.split(separator: "/").map(String.init)
        if parts.count == 3 && parts[0] == "backends" {
            guard request.method == "POST" else { return HTTPResponse(405, "text/plain", "use POST\n", fields: Self.noStore + [("Allow", "POST")]) }
            guard !Self.crossSite(request) else {
                return HTTPResponse(403, "text/plain", "cross-site request refused: backend actions come from the dashboard's own page, or from a client that sends no Origin\n", fields: Self.noStore)
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
            return HTTPResponse(200, "text/html; charset=utf-8", Dashboard.html, fields: Self.noStore)
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

    /// Constant-time comparison of the presented `Bearer` token with the configured one.
    func authorized(_ header: String?) -> Bool {
        guard let token else { return true }
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return false }
        let presented = Array(header.utf8.dropFirst(7))
        var diff = UInt8(truncatingIfNeeded: presented.count ^ token.count)
        for i in 0..<token.count {
            diff |= token[i] ^ (i < presented.count ? presented[i] : 0)
        }
        return diff == 0
    }
}
