import EventLoop
import Foundation
import Glibc

/// The CLI's side of the admin endpoint: one blocking HTTP/1.1 exchange per
/// call (a command line, not the proxy), for `tether stats` and
/// `tether backend` against one replica or several.
struct AdminClient {
    /// `http://host:port` as given (for messages and tables).
    let url: String
    let hostPort: String
    let token: String?

    struct Failure: Error, CustomStringConvertible { var description: String }

    init(_ url: String, token: String?) throws {
        guard url.hasPrefix("http://") else { throw Failure(description: "--admin: \"\(url)\" is not an http:// URL") }
        let hostPort = url.dropFirst(7).split(separator: "/").first.map(String.init) ?? ""
        guard !hostPort.isEmpty else { throw Failure(description: "--admin: \"\(url)\" names no host:port") }
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.hostPort = hostPort
        self.token = token
    }

    /// The answer's status and body; throws when there is no HTTP answer.
    func exchange(_ method: String, _ path: String) throws -> (status: Int, body: String) {
        let address: SocketAddress
        do { address = try SocketAddress(parsing: hostPort) } catch { throw Failure(description: error.description) }
        let fd = socket(address.domain, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard address.connectBlocking(fd) else { throw Failure(description: "cannot connect to \(hostPort): \(String(cString: strerror(errno)))") }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(hostPort)\r\nConnection: close\r\n"
        if method == "POST" { request += "Content-Length: 0\r\n" }
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        request += "\r\n"
        _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            data += buf[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n"), let status = Int(text.prefix(12).split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "no HTTP response from \(hostPort)")
        }
        return (status, String(text[split.upperBound...]))
    }

    /// `GET /stats`, decoded.
    func stats() throws -> [String: Any] {
        let (status, body) = try exchange("GET", "/stats")
        guard status == 200 else { throw Failure(description: "/stats answered \(status)\(status == 401 ? " (use --token)" : "")") }
        guard let stats = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw Failure(description: "\(url)/stats did not return JSON: \(body.prefix(80))")
        }
        return stats
    }
}
