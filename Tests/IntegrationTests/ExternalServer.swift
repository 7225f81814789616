import Foundation
import Glibc

/// A server no one here wrote (Python's `http.server`, Tomcat), run as a child
/// process on a free port and stopped with the test: Tether's own demo
/// backend answers only what Tether expects, and the upload bug (a 1xx head
/// in a write of its own) was invisible to it.
final class ExternalServer: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0
    private let lock = NSLock()
    private var outputText = ""
    private let ready = DispatchSemaphore(value: 0)

    var address: String { "127.0.0.1:\(port)" }
    var url: String { "http://127.0.0.1:\(port)" }
    var output: String { lock.withLock { outputText } }

    /// What says the server is serving.
    enum Readiness {
        /// It prints "listening on PORT" (our Python servers, on port 0).
        case printsPort
        /// It prints `text` and serves on `port` (Tomcat's "Server startup in").
        case prints(String, port: Int)
        /// It says nothing, and serves once `port` accepts (HAProxy).
        case accepts(port: Int)
    }
    private let readiness: Readiness

    /// Starts `arguments[0]` (found on PATH) and waits until it is ready.
    init(_ arguments: [String], environment: [String: String]? = nil, readiness: Readiness = .printsPort, timeout: TimeInterval = 60) throws {
        self.readiness = readiness
        Lifeline.attach(process, executable: "/usr/bin/env", arguments: arguments)
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            guard let self else { return }
            let data = h.availableData
            if data.isEmpty {
                h.readabilityHandler = nil
                self.ready.signal()
                return
            }
            self.lock.withLock { self.outputText += String(decoding: data, as: UTF8.self) }
            if self.portFromOutput() != nil { self.ready.signal() }
        }
        try process.run()
        if case .accepts(let p) = readiness {
            guard Await.until(timeout: timeout, { !process.isRunning || (try? RawClient(port: p)) != nil }), process.isRunning else {
                stop()
                throw ServerError.didNotStart(arguments.joined(separator: " "), output)
            }
            port = p
            return
        }
        guard ready.wait(timeout: .now() + timeout) == .success, let p = portFromOutput() else {
            stop()
            throw ServerError.didNotStart(arguments.joined(separator: " "), output)
        }
        port = p
    }

    /// `Tests/IntegrationTests/Servers/NAME`, run with python3.
    static func python(_ script: String, _ args: [String] = []) throws -> ExternalServer {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Servers/\(script)").path
        return try ExternalServer(["python3", path] + args)
    }

    /// HAProxy 2.6 from Debian, in the foreground, with `config` (the test's
    /// own frontend and backends; `global` and `defaults` are added here).
    /// Readiness is a monitor frontend of its own, so that no probe passes
    /// through the test's frontends (and, say, sends a PROXY header on).
    static func haproxy(_ config: String) throws -> (ExternalServer, TempFile) {
        let file = TempFile(emptyNamed: "haproxy.cfg")
        let monitor = try TestBackend.unusedPort()
        let text = "global\n    maxconn 2000\ndefaults\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n"
            + "frontend ready\n    mode http\n    bind 127.0.0.1:\(monitor)\n    monitor-uri /ready\n" + config + "\n"
        try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        return (try ExternalServer(["haproxy", "-db", "-f", file.path], readiness: .accepts(port: monitor)), file)
    }

    enum ServerError: Error { case didNotStart(String, String) }

    private func portFromOutput() -> Int? {
        let text = output
        if case .prints(let marker, let port) = readiness { return text.contains(marker) ? port : nil }
        guard let r = text.range(of: "listening on ") else { return nil }
        return Int(text[r.upperBound...].prefix { $0.isNumber })
    }

    /// SIGKILL: Foundation starts children from a Dispatch worker thread,
    /// whose blocked signal mask they inherit, so a SIGTERM would wait
    /// pending forever in a server that does not unblock it (Python does not).
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
