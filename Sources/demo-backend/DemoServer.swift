import HTTP1
import HTTPServer

/// The demo app behind Tether's small HTTP server (`HTTPServer`, the same
/// one the admin endpoint uses): keep-alive, bodies read whole (the demo's
/// are small), `/bytes` downloads written as the socket takes them.
enum DemoServer {
    /// Bodies up to 64 MiB (`/echo`); heads within the usual 64 KiB.
    static let limits = HTTPLimits(maxBodySize: 64 << 20)

    static func handler(_ app: DemoApp) -> HTTPServer.Handler {
        { request, _ in
            let r = app.handle(method: request.method, target: request.target, cookie: request.header("cookie"), body: request.body,
                forwardedFor: request.header("x-forwarded-for"))
            let fields = [("Content-Type", "text/plain"), ("X-Backend", app.name)] + r.headers
            return HTTPResponse(
                status: r.status, fields: fields,
                body: r.streamBytes > 0 ? .repeated(UInt8(ascii: "x"), count: r.streamBytes) : .bytes(r.body))
        }
    }
}
