import Foundation
import Glibc

/// A real `demo-backend` process (the app server of the demo), for routing tests.
final class DemoBackendProcess: @unchecked Sendable {
    let name: String
    let port: Int
    let route: String?
    let store: String?
    private var process: Process?

    static var binary: URL { TetherProcess.binary.deletingLastPathComponent().appendingPathComponent("demo-backend") }

    init(name: String, port: Int? = nil, route: String? = nil, store: String? = nil) throws {
        self.name = name
        self.port = try port ?? TestBackend.unusedPort()
        self.route = route
        self.store = store
        try start()
    }

    var address: String { "127.0.0.1:\(port)" }

    func start() throws {
        let p = Process()
        var args = ["--listen", address, "--name", name]
        if let route { args += ["--route", route] }
        if let store { args += ["--store", store] }
        Lifeline.attach(p, executable: Self.binary.path, arguments: args)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        guard Self.waitForPort(port) else { throw POSIXError(.ETIMEDOUT) }
    }

    /// SIGKILL: the backend dies as a crashed server does.
    func kill() {
        guard let p = process, p.isRunning else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    deinit { kill() }

    /// Waits until something accepts on `port` (the process is up).
    static func waitForPort(_ port: Int, timeout: TimeInterval = 10) -> Bool {
        Await.until(timeout: timeout) { (try? RawClient(port: port)) != nil }
    }
}

/// A response's header value (first occurrence, case-insensitive name).
func header(_ response: String, _ name: String) -> String? {
    let head = response.components(separatedBy: "\r\n\r\n").first ?? ""
    for line in head.split(separator: "\r\n") {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2 && parts[0].lowercased() == name.lowercased() {
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
    }
    return nil
}

/// The value of `name` in a response's Set-Cookie fields.
func setCookie(_ response: String, _ name: String) -> String? {
    let head = response.components(separatedBy: "\r\n\r\n").first ?? ""
    for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("set-cookie:") {
        let value = line.dropFirst("set-cookie:".count).trimmingCharacters(in: .whitespaces)
        let pair = value.split(separator: ";").first ?? ""
        let kv = pair.split(separator: "=", maxSplits: 1)
        if kv.count == 2 && kv[0] == name { return String(kv[1]) }
    }
    return nil
}
