import ArgumentParser
import EventLoop
import Foundation
import Glibc
import Stats

/// `tether stats`: the admin endpoint's backend table in a terminal, for
/// people on a server without a browser.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print the per-backend table from a running Tether's admin endpoint."
    )

    @Option(help: "Admin endpoint, e.g. http://127.0.0.1:9090")
    var admin: String = "http://127.0.0.1:9090"

    @Option(help: "Bearer token, if the admin endpoint requires one.")
    var token: String?

    func run() throws {
        guard admin.hasPrefix("http://") else { throw ValidationError("--admin: \"\(admin)\" is not an http:// URL") }
        let hostPort = admin.dropFirst(7).split(separator: "/").first.map(String.init) ?? ""
        let body: String
        do { body = try Self.get(hostPort: hostPort, path: "/stats", token: token) } catch {
            FileHandleOutput.stderr("tether stats: \(error)")
            throw ExitCode(1)
        }
        guard let stats = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            FileHandleOutput.stderr("tether stats: \(admin)/stats did not return JSON: \(body.prefix(80))")
            throw ExitCode(1)
        }
        print(Self.render(stats))
    }

    static func render(_ s: [String: Any]) -> String {
        let routing = s["routing"] as? [String: Any] ?? [:]
        let conns = s["connections"] as? [String: Any] ?? [:]
        var out = "tether \(s["version"] ?? "?") · up \(s["uptime_seconds"] ?? 0)s · routing \(routing["mode"] ?? "?") · "
        out += "connections \(conns["current"] ?? 0)/\(conns["total"] ?? 0) · requests \(s["requests"] ?? 0)\n\n"
        // The stats table's columns, between the backend's name and its last check.
        let columns = StatsFields.backend.compactMap { f in f.column.flatMap { title in f.path.map { (title, $0) } } }
        let header = ["backend"] + columns.map(\.0) + ["last check"]
        var rows = [header]
        for b in s["backends"] as? [[String: Any]] ?? [] {
            let last = (b["check"] as? [String: Any])?["last"] as? [String: Any]
            rows.append(
                [text(b["name"]) + ((b["backup"] as? Bool) == true ? " (backup)" : "")]
                    + columns.map { text(value(b, at: $0.1)) }
                    + [last.map { "\(text($0["detail"])) \(text($0["latency_ms"]))ms" } ?? "-"])
        }
        let widths = (0..<header.count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        // Columns of numbers (or "-") align right, heading included; text aligns left.
        let numeric = (0..<header.count).map { c in rows.dropFirst().allSatisfy { Double($0[c]) != nil || $0[c] == "-" } }
        for r in rows {
            out += r.indices.map { c in
                let pad = String(repeating: " ", count: widths[c] - r[c].count)
                return numeric[c] ? pad + r[c] : r[c] + pad
            }.joined(separator: "  ") + "\n"
        }
        return out
    }

    /// The value at a `/stats` path inside one object.
    static func value(_ object: [String: Any], at path: [String]) -> Any? {
        var current: Any? = object
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }

    static func text(_ v: Any?) -> String {
        guard let v, !(v is NSNull) else { return "-" }
        if let d = v as? Double { return d == d.rounded() ? String(Int(d)) : String(format: "%.1f", d) }
        return "\(v)"
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// A blocking HTTP/1.1 GET (a CLI, not the proxy).
    static func get(hostPort: String, path: String, token: String?) throws -> String {
        let address: SocketAddress
        do { address = try SocketAddress(parsing: hostPort) } catch { throw Failure(description: error.description) }
        let fd = socket(address.domain, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard address.connectBlocking(fd) else { throw Failure(description: "cannot connect to \(hostPort): \(String(cString: strerror(errno)))") }
        var request = "GET \(path) HTTP/1.1\r\nHost: \(hostPort)\r\nConnection: close\r\n"
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
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no HTTP response from \(hostPort)") }
        let status = text.prefix(12).split(separator: " ").dropFirst().first.map(String.init) ?? "?"
        guard status == "200" else { throw Failure(description: "\(path) answered \(status)\(status == "401" ? " (use --token)" : "")") }
        return String(text[split.upperBound...])
    }
}

/// `tether stats-reference`: the stats section of docs/ADMIN.md, from the stats table.
struct StatsReferenceCommand: MarkdownReferenceCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats-reference",
        abstract: "Print the /stats and /metrics reference (Markdown) generated from the stats table."
    )
    static var markdown: String { StatsReference.markdown() }
}
