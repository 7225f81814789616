import Glibc
import HTTPServer

/// The demo application: sessions in a dictionary (or, with `--store`, in
/// Redis), keyed by `JSESSIONID` as a Java app server would, with a `.route`
/// suffix when the server has a jvmRoute. Strings are fine here: this is the
/// app behind the proxy, not the proxy.
final class DemoApp: @unchecked Sendable {
    let name: String
    let route: String?
    let store: SessionStore
    private var requests = 0

    init(name: String, route: String?, store: SessionStore) {
        self.name = name
        self.route = route
        self.store = store
    }

    struct Response {
        var status: Int
        var headers: [(String, String)] = []
        var body: [UInt8]
        var streamBytes = 0

        init(status: Int, headers: [(String, String)] = [], text: String) {
            self.status = status
            self.headers = headers
            self.body = Array(text.utf8)
        }
    }

    /// `forwardedFor`: the request's `X-Forwarded-For`, shown on session pages
    /// so a demo can show which client address the app was told.
    func handle(method: String, target: String, cookie: String?, body: [UInt8], forwardedFor: String? = nil) -> Response {
        requests += 1
        let (path, query) = split(target)
        switch path {
        case "/health":
            return Response(status: 200, text: "ok\n")
        case "/slow":
            let ms = Int(query["ms"] ?? "") ?? 1000
            var ts = timespecFor(ms: ms)
            nanosleep(&ts, nil)
            return Response(status: 200, text: "\(name): slow \(ms) ms\n")
        case "/bytes":
            var r = Response(status: 200, text: "")
            r.streamBytes = Int(query["n"] ?? "") ?? 0
            return r
        case "/echo":
            var r = Response(status: 200, text: "")
            r.body = body
            return r
        default:
            break
        }
        // Everything else is session-aware.
        let presented = cookie.flatMap { HTTPRequest.cookieValue($0, name: "JSESSIONID") }
        var session = presented.flatMap { store.load($0) }
        var headers: [(String, String)] = []
        var created = false
        if session == nil {
            let id = Self.newSessionID() + (route.map { ".\($0)" } ?? "")
            session = Session(id: id, user: nil, visits: 0)
            headers.append(("Set-Cookie", "JSESSIONID=\(id); Path=/; HttpOnly"))
            created = true
        }
        var s = session!
        switch path {
        case "/login":
            s.user = query["user"] ?? "guest"
            s.visits += 1
            store.save(s)
            return Response(status: 200, headers: headers, text: "\(name): logged in as \(s.user!) (session \(s.id.prefix(8))…\(created ? " created here" : ""))\n")
        case "/whoami":
            if let user = s.user {
                s.visits += 1
                store.save(s)
                return Response(status: 200, headers: headers, text: "\(name): you are \(user) (visit \(s.visits))\n")
            }
            store.save(s)
            let why = presented == nil ? "no session" : "session unknown here: it lives on another server"
            return Response(status: 401, headers: headers, text: "\(name): \(why)\n")
        default:
            s.visits += 1
            store.save(s)
            let client = forwardedFor.map { " client=\($0.filter { !$0.isWhitespace })" } ?? ""
            return Response(status: 200, headers: headers, text: "backend=\(name) session=\(s.id) visits=\(s.visits)\(client)\n")
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

    static func newSessionID() -> String {
        let hex = Array("0123456789ABCDEF")
        return String((0..<32).map { _ in hex[Int.random(in: 0..<16)] })
    }

    private func timespecFor(ms: Int) -> timespec {
        timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
    }
}

struct Session {
    var id: String
    var user: String?
    var visits: Int
}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
