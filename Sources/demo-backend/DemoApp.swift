import Glibc

/// The demo application: sessions in a dictionary, as a plain app server
/// keeps them. Strings are fine here; this is the app, not the proxy.
final class DemoApp: @unchecked Sendable {
    let name: String
    private var sessions: [String: String] = [:]
    private var requests = 0

    init(name: String) {
        self.name = name
    }

    struct Response {
        var status: Int
        var headers: [(String, String)] = []
        var body: String
    }

    func handle(method: String, target: String, cookie: String?) -> Response {
        requests += 1
        let (path, query) = split(target)
        let sessionID = cookie.flatMap { Self.cookieValue($0, name: "DEMOSESSION") }
        let user = sessionID.flatMap { sessions[$0] }
        switch path {
        case "/health":
            return Response(status: 200, body: "ok\n")
        case "/login":
            let who = query["user"] ?? "guest"
            let id = Self.newSessionID()
            sessions[id] = who
            return Response(
                status: 200, headers: [("Set-Cookie", "DEMOSESSION=\(id); Path=/; HttpOnly")],
                body: "\(name): logged in as \(who) (session \(id.prefix(8))… created here)\n")
        case "/whoami":
            if let user {
                return Response(status: 200, body: "\(name): you are \(user)\n")
            }
            if sessionID != nil {
                return Response(status: 401, body: "\(name): session unknown here (it lives on another server)\n")
            }
            return Response(status: 401, body: "\(name): no session\n")
        default:
            let s = user.map { "session of \($0)" } ?? "no session"
            return Response(status: 200, body: "\(name): request #\(requests) for \(path), \(s)\n")
        }
    }

    private func split(_ target: String) -> (String, [String: String]) {
        guard let q = target.firstIndex(of: "?") else { return (target, [:]) }
        var params: [String: String] = [:]
        for pair in target[target.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { params[String(kv[0])] = String(kv[1]) }
        }
        return (String(target[..<q]), params)
    }

    static func cookieValue(_ header: String, name: String) -> String? {
        for part in header.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 && kv[0].trimmingCharacters(in: " ") == name { return String(kv[1]) }
        }
        return nil
    }

    static func newSessionID() -> String {
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        return bytes.map { b in
            let hex = Array("0123456789abcdef")
            return String([hex[Int(b >> 4)], hex[Int(b & 15)]])
        }.joined()
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
