import ArgumentParser
import Foundation
import Glibc
import Stats

/// `tether stats`: the admin endpoint's backend table in a terminal, for
/// people on a server without a browser; with several `--admin`, the
/// replicas side by side and summed, and a warning when their routing
/// fingerprints differ (they would send one session to different backends).
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print the per-backend table from one running Tether's admin endpoint, or several replicas' side by side and summed.",
        discussion: "Exit status 1 when an endpoint cannot be read, 2 when replicas' routing fingerprints differ."
    )

    @Option(name: .customLong("admin"), help: "Admin endpoint, e.g. http://127.0.0.1:9090; repeat for each replica.")
    var admins: [String] = ["http://127.0.0.1:9090"]

    @Option(help: "Bearer token, if the admin endpoints require one (read_token is enough).")
    var token: String?

    func run() throws {
        var replicas: [(url: String, stats: [String: Any])] = []
        do {
            for url in admins {
                let client = try AdminClient(url, token: token)
                replicas.append((client.url, try client.stats()))
            }
        } catch {
            FileHandleOutput.stderr("tether stats: \(error)")
            throw ExitCode(1)
        }
        if replicas.count == 1 {
            print(Self.render(replicas[0].stats))
        } else {
            print(Self.render(replicas: replicas))
            if Self.fingerprints(replicas).count > 1 { throw ExitCode(2) }
        }
    }

    static func summary(_ s: [String: Any]) -> String {
        let routing = s["routing"] as? [String: Any] ?? [:]
        let conns = s["connections"] as? [String: Any] ?? [:]
        return "tether \(s["version"] ?? "?") · up \(s["uptime_seconds"] ?? 0)s · routing \(routing["mode"] ?? "?") (fingerprint \(routing["fingerprint"] ?? "?")) · "
            + "connections \(conns["current"] ?? 0)/\(conns["total"] ?? 0) · requests \(s["requests"] ?? 0)"
    }

    /// The stats table's columns, between the backend's name and its last check.
    static var columns: [(title: String, path: [String])] {
        StatsFields.backend.compactMap { f in f.column.flatMap { title in f.path.map { (title, $0) } } }
    }

    static func render(_ s: [String: Any]) -> String {
        var rows = [["backend"] + columns.map(\.title) + ["last check"]]
        for b in s["backends"] as? [[String: Any]] ?? [] {
            let last = (b["check"] as? [String: Any])?["last"] as? [String: Any]
            rows.append(
                [name(b)] + columns.map { text(value(b, at: $0.path)) }
                    + [last.map { "\(text($0["detail"])) \(text($0["latency_ms"]))ms" } ?? "-"])
        }
        return summary(s) + "\n\n" + table(rows)
    }

    static func fingerprints(_ replicas: [(url: String, stats: [String: Any])]) -> Set<String> {
        Set(replicas.map { text(value($0.stats, at: ["routing", "fingerprint"])) })
    }

    /// Every replica's summary, then per backend a row for each replica and
    /// one for all of them: counts summed, latencies the highest, a state
    /// shown once when the replicas agree (else `mixed`).
    static func render(replicas: [(url: String, stats: [String: Any])]) -> String {
        var out = ""
        for r in replicas { out += "\(r.url)  \(summary(r.stats))\n" }
        let prints = fingerprints(replicas)
        if prints.count > 1 {
            out += "WARNING: routing fingerprints differ (\(prints.sorted().joined(separator: ", "))): these replicas would send one session to different backends; compare their backends, routes, weights and hash_secret\n"
        } else {
            out += "\(replicas.count) replicas, one routing fingerprint (\(prints.first ?? "?"))\n"
        }
        var rows = [["backend", "replica"] + columns.map(\.title)]
        var order: [String] = []
        for r in replicas {
            for b in r.stats["backends"] as? [[String: Any]] ?? [] where !order.contains(name(b)) { order.append(name(b)) }
        }
        for backend in order {
            var cells: [[String]] = []
            for r in replicas {
                guard let b = (r.stats["backends"] as? [[String: Any]] ?? []).first(where: { name($0) == backend }) else {
                    cells.append(columns.map { _ in "absent" })
                    rows.append([backend, r.url] + cells.last!)
                    continue
                }
                cells.append(columns.map { text(value(b, at: $0.path)) })
                rows.append([backend, r.url] + cells.last!)
            }
            rows.append([backend, "all"] + columns.indices.map { c in combine(title: columns[c].title, cells.map { $0[c] }) })
        }
        return out + "\n" + table(rows)
    }

    static func combine(title: String, _ values: [String]) -> String {
        let numbers = values.compactMap(Double.init)
        guard numbers.count == values.count, !numbers.isEmpty else {
            return Set(values).count == 1 ? values[0] : "mixed"
        }
        let v = title.hasSuffix("ms") ? numbers.max()! : numbers.reduce(0, +)
        return text(v)
    }

    static func name(_ b: [String: Any]) -> String {
        text(b["name"]) + ((b["backup"] as? Bool) == true ? " (backup)" : "")
    }

    /// Columns of numbers (or "-") align right, heading included; text aligns left.
    static func table(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        let widths = (0..<header.count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        let numeric = (0..<header.count).map { c in rows.dropFirst().allSatisfy { Double($0[c]) != nil || $0[c] == "-" } }
        var out = ""
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
}

/// `tether stats-reference`: the stats section of docs/ADMIN.md, from the stats table.
struct StatsReferenceCommand: MarkdownReferenceCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats-reference",
        abstract: "Print the /stats and /metrics reference (Markdown) generated from the stats table."
    )
    static var markdown: String { StatsReference.markdown() }
}
