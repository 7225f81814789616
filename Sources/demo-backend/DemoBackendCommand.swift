import ArgumentParser
import Dispatch
import EventLoop
import Glibc

/// `demo-backend` — a small app server with in-memory sessions, the kind of
/// server Tether stands in front of. It shows the session problem: log in on
/// one instance, and another instance does not know you.
@main
struct DemoBackendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-backend",
        abstract: "A demo app server with sessions kept in its own memory.",
        discussion: """
            Endpoints:
              GET /            who answered, and the session it sees
              GET /login?user=NAME   start a session (cookie DEMOSESSION)
              GET /whoami      the session's user, or 401 without one
              GET /health      200 ok (for health checks)
            """
    )

    @Option(help: "Address to listen on (host:port).")
    var listen: String = "127.0.0.1:9001"

    @Option(help: "Name this instance reports (e.g. app1).")
    var name: String = "app"

    func run() throws {
        let address: SocketAddress
        do { address = try SocketAddress(parsing: listen) } catch {
            throw ValidationError(error.description)
        }
        let fd: Int32
        do { fd = try Socket.listen(address) } catch {
            var line = Array("demo-backend: \(error)\n".utf8)
            _ = line.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            throw ExitCode(1)
        }
        signal(SIGPIPE, SIG_IGN)
        let loop = EventLoop(index: 0)
        let app = DemoApp(name: name)
        loop.execute { DemoListener(fd: fd, loop: loop, app: app).start() }
        dispatchMain()
    }
}
