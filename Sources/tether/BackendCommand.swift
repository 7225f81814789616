import ArgumentParser
import Foundation

/// `tether backend drain|maintenance|enable NAME --admin URL …`: one action
/// on every replica, each result reported. Behind an L4 balancer a backend
/// drained on one replica and not the others still gets new sessions, so
/// the command goes to all of them and fails when any one did not take it.
struct BackendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backend",
        abstract: "Drain, put in maintenance or enable a backend on one or several running Tethers.",
        discussion: """
            Examples:
              tether backend drain app2 --admin http://10.0.0.5:9090 --admin http://10.0.0.6:9090 --token T
              tether backend enable app2 --admin http://10.0.0.5:9090 --admin http://10.0.0.6:9090 --token T
            Exit status 0 when every replica took the action, 1 otherwise.
            """
    )

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case drain, maintenance, enable
    }

    @Argument(help: "drain (keep sessions, no new ones), maintenance (no traffic) or enable.")
    var action: Action

    @Argument(help: "The backend's name, as in proxy.conf.")
    var name: String

    @Option(name: .customLong("admin"), help: "Admin endpoint of a replica, e.g. http://127.0.0.1:9090; repeat for each replica.")
    var admins: [String] = ["http://127.0.0.1:9090"]

    @Option(help: "Bearer token (the admin token, not read_token), if the endpoints require one.")
    var token: String?

    func run() throws {
        let clients: [AdminClient]
        do { clients = try admins.map { try AdminClient($0, token: token) } } catch {
            FileHandleOutput.stderr("tether backend: \(error)")
            throw ExitCode(1)
        }
        let path = "/backends/\(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name)/\(action.rawValue)"
        var failed = 0
        for c in clients {
            do {
                let (status, body) = try c.exchange("POST", path)
                let said = body.trimmingCharacters(in: .whitespacesAndNewlines)
                if status == 200, let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] {
                    print("\(c.url): \(name) \(json["admin_state"] ?? action.rawValue)")
                } else {
                    failed += 1
                    print("\(c.url): failed: \(status) \(said)\(status == 401 ? " (use --token)" : "")")
                }
            } catch {
                failed += 1
                print("\(c.url): failed: \(error)")
            }
        }
        if failed > 0 {
            FileHandleOutput.stderr("tether backend: \(action.rawValue) \(name) failed on \(failed) of \(clients.count) replica\(clients.count == 1 ? "" : "s")")
            throw ExitCode(1)
        }
    }
}
