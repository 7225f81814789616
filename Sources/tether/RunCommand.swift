import ArgumentParser
import Config
import Dispatch
import Glibc
import Admin
import Proxy

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the proxy (the default command)."
    )

    @Option(name: .customLong("config"), help: "Configuration file.")
    var configPath: String = "proxy.conf"

    @Option(name: .customLong("listen"), help: "Quick start without a file: address to accept clients on (host:port); repeatable.")
    var listen: [String] = []

    @Option(name: .customLong("backend"), help: "Quick start without a file: backend address (host:port); repeatable.")
    var backends: [String] = []

    @Option(name: .customLong("admin"), help: "Quick start: serve the admin endpoint on this address (the file's admin directive otherwise).")
    var adminAddress: String?

    @Option(help: "Event loops (0 = one per core); overrides the file.")
    var workers: Int?

    @Option(name: .customLong("access-log"), help: "stdout, off, or a file path; overrides the file.")
    var accessLog: String?

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
        if listen.isEmpty != backends.isEmpty {
            throw ValidationError("quick start needs both --listen and --backend (or neither, to read --config)")
        }
    }

    /// Quick start (flags) or a configuration file.
    private var usesFile: Bool { listen.isEmpty }

    func run() throws {
        var config: ProxyConfig
        if usesFile {
            switch ConfigFile.load(path: configPath) {
            case .failure(let errors):
                for e in errors.errors { FileHandleOutput.stderr(e.description) }
                throw ExitCode(1)
            case .success(let c):
                config = c
            }
        } else {
            config = ProxyConfig()
            config.listeners = listen.map { ListenerConfig(address: $0) }
            config.backends = backends.enumerated().map { BackendConfig(name: "b\($0.offset + 1)", address: $0.element) }
            config.routing.mode = .balanced
            config.health.enabled = false  // quick start: passive checks only
        }
        try applyOverrides(&config)
        if usesFile || adminAddress != nil, let problem = config.admin.exposureProblem {
            FileHandleOutput.stderr("tether: \(problem)")
            throw ExitCode(1)
        }
        // Before the first socket: nothing may need a new descriptor once
        // clients can take them all (see MainQueueHandle).
        MainQueueHandle.makeNow()
        let server: ProxyServer
        do {
            server = try ProxyServer(config: config, log: EventLog(level: config.logLevel, format: config.logFormat))
        } catch {
            FileHandleOutput.stderr("tether: \(error)")
            throw ExitCode(1)
        }
        var admin: AdminServer? = nil
        if usesFile || adminAddress != nil {
            do {
                admin = try AdminServer(config: config.admin, server: server)
            } catch {
                FileHandleOutput.stderr("tether: \(error)")
                throw ExitCode(1)
            }
        }
        // Signals first: whoever waits for the "listening" line below may
        // send SIGHUP at once, and it must not be lost (or kill the process).
        let command = self
        let reload: (@Sendable () -> Void)? = usesFile ? { @Sendable in Self.reload(server, path: command.configPath, overrides: command) } : nil
        SignalHandling.install(server: server, reload: reload)
        server.start()
        admin?.start()
        let ports = server.boundPorts.map(String.init).joined(separator: ",")
        let log = server.log
        log.announce("tether \(TetherCommand.version) listening on port \(ports) with \(server.loopCount) loops, \(config.backends.count) backends")
        for line in ConfigSummary.startup(config) { log.announce(line) }
        if let admin {
            var host = String(config.admin.address[..<(config.admin.address.lastIndex(of: ":") ?? config.admin.address.endIndex)])
            if host.isEmpty || host == "0.0.0.0" || host == "*" { host = "127.0.0.1" }
            log.announce("admin endpoint on http://\(host):\(admin.port)/" + (config.admin.token == nil ? "" : " (token required)"))
        }
        dispatchMain()
    }

    /// SIGHUP: re-read the file; on any error keep running the old configuration.
    static func reload(_ server: ProxyServer, path: String, overrides: RunCommand) {
        func failed(_ reasons: [String]) {
            for r in reasons { server.log(.error, "reload", "reload failed: \(r)") }
            server.log(.error, "reload", "still running the previous configuration")
        }
        switch ConfigFile.load(path: path) {
        case .failure(let errors):
            failed(errors.errors.map(\.description))
            server.recordFailedReload(errors.errors.map(\.description).joined(separator: "; "))
        case .success(var config):
            do {
                try overrides.applyOverrides(&config)
                let old = server.config
                let notes = try server.reload(config)
                for n in notes { server.log(.warning, "reload", "note: \(n)") }
                let changes = ConfigSummary.changes(from: old, to: config)
                server.log(.info, "reload", "configuration reloaded (\(config.backends.count) backends, reload #\(server.reloadStats.succeeded))" + (changes.isEmpty ? ": nothing changed" : ""))
                for c in changes { server.log(.info, "reload", c) }
            } catch {
                failed(["\(error)"])
            }
        }
    }

    /// Command-line settings win over the file.
    func applyOverrides(_ c: inout ProxyConfig) throws {
        if let workers { c.workers = workers }
        if let adminAddress { c.admin.address = adminAddress }
        switch accessLog {
        case nil: break
        case "off": c.accessLog = .off
        case "stdout": c.accessLog = .stdout
        case let path?: c.accessLog = .file(path)
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
    }
}

enum FileHandleOutput {
    static func stderr(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
