import ArgumentParser
import Dispatch
import EventLoop
import Glibc
import HTTPServer

/// `demo-backend` — a small app server with in-memory sessions, the kind of
/// server Tether stands in front of. It shows the session problem: log in on
/// one instance, and another instance does not know you.
@main
struct DemoBackendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-backend",
        abstract: "A demo app server with sessions kept in its own memory.",
        discussion: """
            Endpoints (every response carries X-Backend: NAME):
              GET /                  backend name, session id, visit counter (sets JSESSIONID)
              GET /login?user=NAME   log in: the session remembers the user
              GET /whoami            the session's user, or 401
              GET /health            200 ok
              GET /slow?ms=N         answer after N ms
              GET /bytes?n=N         N bytes of body
              POST /echo             the request body back
            Sessions live in this process's memory, or in Redis with --store.
            """
    )

    @Option(help: "Address to listen on (host:port).")
    var listen: String = "127.0.0.1:9001"

    @Option(help: "Name this instance reports (e.g. app1).")
    var name: String = "app"

    @Option(help: "jvmRoute: session ids end in .ROUTE (e.g. node1).")
    var route: String?

    @Option(help: "Keep sessions in Redis (redis://host:port) instead of memory.")
    var store: String?

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
        let sessions: SessionStore
        if let store {
            do { sessions = RedisStore(client: try RESPClient(url: store)) } catch {
                throw ValidationError("--store: \(error)")
            }
        } else {
            sessions = MemoryStore()
        }
        let loop = EventLoop(index: 0)
        let app = DemoApp(name: name, route: route, store: sessions)
        HTTPServer(fd: fd, loop: loop, limits: DemoServer.limits, idleTimeout: nil, handler: DemoServer.handler(app)).start()
        dispatchMain()
    }
}
