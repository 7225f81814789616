import ArgumentParser
import Config
import Proxy

/// `tether` — the command line. Kept out of `main.swift` on purpose: top-level
/// code there is `@MainActor` in Swift 6, and closures created there trap when
/// Dispatch runs them on a loop queue (see docs/ARCHITECTURE.md).
@main
struct TetherCommand: ParsableCommand {
    static let version = ProxyServer.version

    static let configuration = CommandConfiguration(
        commandName: "tether",
        abstract: "A load-balancing HTTP/1.1 reverse proxy for session-aware routing.",
        discussion: """
            Examples:
              tether                                   run with ./proxy.conf
              tether run --config /etc/tether/proxy.conf
              tether check --config proxy.conf         validate, like nginx -t
              tether stats --admin http://10.0.0.5:9090 --admin http://10.0.0.6:9090
                                                       replicas side by side and summed
              tether backend drain app2 --admin http://10.0.0.5:9090 --admin http://10.0.0.6:9090
                                                       drain on every replica
              tether run --listen 127.0.0.1:8080 --backend 127.0.0.1:9001 --backend 127.0.0.1:9002
                                                       quick start without a file (round-robin)

            Signals: SIGHUP reloads the file without dropping connections (an
            invalid file is reported and the running configuration kept);
            SIGUSR1 reopens the access log file (after log rotation); SIGTERM
            or SIGINT stop gracefully (no new connections; requests in flight
            finish up to graceful_stop_timeout).
            """,
        version: version,
        subcommands: [RunCommand.self, CheckCommand.self, StatsCommand.self, BackendCommand.self, ConfigReferenceCommand.self, StatsReferenceCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
