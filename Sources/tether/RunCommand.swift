import ArgumentParser
import Config
import Dispatch
import Glibc
import Proxy

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the proxy (the default command)."
    )

    @Option(name: .customLong("listen"), help: "Address to accept clients on (host:port); repeatable.")
    var listen: [String] = []

    @Option(name: .customLong("backend"), help: "Backend address (host:port); repeatable.")
    var backends: [String] = []

    @Option(help: "Event loops (0 = one per core).")
    var workers: Int = 0

    @Option(name: .customLong("access-log"), help: "stdout, off, or a file path.")
    var accessLog: String = "stdout"

    @Option(name: .customLong("header-timeout"), help: "Time allowed for a complete request head (e.g. 10s).")
    var headerTimeout: String?

    @Option(name: .customLong("idle-timeout"), help: "Client keep-alive idle timeout.")
    var idleTimeout: String?

    @Option(name: .customLong("connect-timeout"), help: "Backend connect timeout.")
    var connectTimeout: String?

    @Option(name: .customLong("backend-timeout"), help: "Backend response timeout.")
    var backendTimeout: String?

    @Option(name: .customLong("pool-idle-timeout"), help: "Idle timeout of pooled backend connections.")
    var poolIdleTimeout: String?

    @Option(name: .customLong("graceful-timeout"), help: "How long a graceful stop waits for requests in flight.")
    var gracefulTimeout: String?

    @Option(name: .customLong("max-body"), help: "Largest request body (e.g. 1g, 64m).")
    var maxBody: String?

    func validate() throws {
        if listen.isEmpty { throw ValidationError("give at least one --listen address") }
        if backends.isEmpty { throw ValidationError("give at least one --backend address") }
    }

    func run() throws {
        let config = try buildConfig()
        let server: ProxyServer
        do {
            server = try ProxyServer(config: config)
        } catch {
            FileHandleOutput.stderr("tether: \(error)")
            throw ExitCode(1)
        }
        server.start()
        let ports = server.boundPorts.map(String.init).joined(separator: ",")
        FileHandleOutput.stderr("tether \(TetherCommand.version): listening on port \(ports) with \(server.loopCount) loops, \(config.backends.count) backends")
        SignalHandling.install(server: server)
        dispatchMain()
    }

    private func buildConfig() throws -> ProxyConfig {
        var c = ProxyConfig()
        c.listeners = listen.map { ListenerConfig(address: $0) }
        c.backends = backends.enumerated().map { BackendConfig(name: "b\($0.offset + 1)", address: $0.element) }
        c.workers = workers
        switch accessLog {
        case "off": c.accessLog = .off
        case "stdout": c.accessLog = .stdout
        default: c.accessLog = .file(accessLog)
        }
        func duration(_ flag: String, _ value: String?, _ apply: (Duration) -> Void) throws {
            guard let value else { return }
            guard let d = ValueParsing.duration(value) else {
                throw ValidationError("--\(flag): \"\(value)\" is not a duration (e.g. 500ms, 2s, 5m)")
            }
            apply(d)
        }
        try duration("header-timeout", headerTimeout) { c.timeouts.header = $0 }
        try duration("idle-timeout", idleTimeout) { c.timeouts.clientIdle = $0 }
        try duration("connect-timeout", connectTimeout) { c.timeouts.connect = $0 }
        try duration("backend-timeout", backendTimeout) { c.timeouts.backendResponse = $0 }
        try duration("pool-idle-timeout", poolIdleTimeout) { c.pool.idleTimeout = $0 }
        try duration("graceful-timeout", gracefulTimeout) { c.timeouts.gracefulStop = $0 }
        if let maxBody {
            guard let n = ValueParsing.size(maxBody) else { throw ValidationError("--max-body: \"\(maxBody)\" is not a size (e.g. 64m)") }
            c.limits.maxBodySize = n
        }
        return c
    }
}

enum FileHandleOutput {
    static func stderr(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
