import HTTP1

/// A request to one of Tether's own small servers (the admin endpoint, the
/// demo backend), with its body read whole. Strings are fine here: these
/// are not the proxy's data path.
public struct HTTPRequest: Sendable {
    public var method: String
    /// As sent, query included.
    public var target: String
    /// Header fields as sent; look them up with `header(_:)`.
    public var fields: [(name: String, value: String)]
    public var body: [UInt8]

    /// The target without its query.
    public var path: String { String(target.prefix { $0 != "?" }) }

    /// The first field named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        fields.first { $0.name.lowercased() == name }?.value
    }

    /// The value of cookie `name` in the `Cookie` field.
    public func cookie(_ name: String) -> String? {
        header("cookie").flatMap { Self.cookieValue($0, name: name) }
    }

    /// The value of cookie `name` in a `Cookie` header (`a=1; b=2`).
    public static func cookieValue(_ header: String, name: String) -> String? {
        for part in header.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 && kv[0].drop(while: { $0 == " " }) == name { return String(kv[1]) }
        }
        return nil
    }
}

/// An answer from one of Tether's own small servers.
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// `count` copies of `byte`, written as the socket takes them (the
        /// demo backend's large downloads) instead of built in memory.
        case repeated(UInt8, count: Int)
    }

    public var status: Int
    public var fields: [(name: String, value: String)]
    public var body: Body

    public init(_ status: Int, _ contentType: String, _ body: String, fields: [(String, String)] = []) {
        self.status = status
        self.fields = [("Content-Type", contentType)] + fields.map { (name: $0.0, value: $0.1) }
        self.body = .bytes(Array(body.utf8))
    }

    public init(status: Int, fields: [(String, String)], body: Body) {
        self.status = status
        self.fields = fields.map { (name: $0.0, value: $0.1) }
        self.body = body
    }

    var bodyLength: Int {
        switch body {
        case .bytes(let b): return b.count
        case .repeated(_, let n): return n
        }
    }

    /// The status line, the fields, `Content-Length`, and `Connection: close` when `closing`.
    func head(closing: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for f in fields { text += "\(f.name): \(f.value)\r\n" }
        text += "Content-Length: \(bodyLength)\r\n"
        if closing { text += "Connection: close\r\n" }
        return Array((text + "\r\n").utf8)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 431: return "Request Header Fields Too Large"
        case 501: return "Not Implemented"
        default: return status < 400 ? "OK" : "Error"
        }
    }
}
