import Config
import Dispatch
import EventLoop
import Glibc
import Synchronization

/// Tether's data plane: listeners, loops, and per-loop contexts built from one
/// `ProxyConfig`. Binding happens in `init`, so a port in use fails there,
/// before anything runs.
public final class ProxyServer: @unchecked Sendable {
    public let config: ProxyConfig
    let runtime: ProxyRuntime
    let group: EventLoopGroup
    let contexts: [LoopContext]
    let limit: ConnectionLimit
    private var listenFDs: [Int32] = []
    private var acceptors: [Acceptor] = []

    /// Ports actually bound, in listener order (useful with port 0).
    public private(set) var boundPorts: [Int] = []

    public enum StartError: Error, CustomStringConvertible {
        case badAddress(String)
        case socket(Socket.Error)
        case other(String)

        public var description: String {
            switch self {
            case .badAddress(let s): return s
            case .socket(let e): return e.description
            case .other(let s): return s
            }
        }
    }

    public init(config: ProxyConfig) throws(StartError) {
        self.config = config
        do {
            runtime = try ProxyRuntime(config: config)
        } catch let e as SocketAddress.ParseError {
            throw .badAddress(e.description)
        } catch {
            throw .other("\(error)")
        }
        var fds: [Int32] = []
        for l in config.listeners {
            let address: SocketAddress
            do { address = try SocketAddress(parsing: l.address, allowAnyPort: true) } catch { throw .badAddress(error.description) }
            do {
                let fd = try Socket.listen(address)
                fds.append(fd)
                boundPorts.append(Socket.localPort(fd))
            } catch {
                for fd in fds { close(fd) }
                throw .socket(error)
            }
        }
        listenFDs = fds
        group = EventLoopGroup(count: config.workers)
        let runtime = self.runtime
        let limit = ConnectionLimit(maximum: config.maxConnections)
        self.limit = limit
        contexts = group.loops.map { LoopContext(loop: $0, runtime: runtime, connectionLimit: limit) }
    }

    public var loopCount: Int { group.loops.count }

    /// Starts accepting on every loop.
    public func start() {
        for ctx in contexts {
            for fd in listenFDs {
                let acceptor = Acceptor(fd: fd, ctx: ctx, limit: limit)
                acceptors.append(acceptor)
                ctx.loop.execute { acceptor.start() }
            }
        }
    }

    /// Graceful stop: stop accepting, let in-flight requests finish (up to the
    /// configured deadline), then call `completion`.
    public func stop(completion: @escaping @Sendable () -> Void) {
        let countdown = Countdown(contexts.count)
        let finish: @Sendable () -> Void = {
            if countdown.claimFinish() {
                self.runtime.accessLog?.flush()
                completion()
            }
        }
        for ctx in contexts {
            let acceptorsHere = acceptors.filter { $0.ctx === ctx }
            ctx.loop.execute {
                for a in acceptorsHere { a.stop() }
                ctx.beginDrain {
                    if countdown.arrive() { finish() }
                }
            }
        }
        let grace = Int(config.timeouts.gracefulStop.nanoseconds)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(grace)) {
            finish()
        }
        for fd in listenFDs { close(fd) }
    }
}

/// Counts loops that finished draining; the last one (or the deadline) ends the stop.
private final class Countdown: Sendable {
    private let remaining: Atomic<Int>
    private let finished = Atomic<Bool>(false)

    init(_ n: Int) { remaining = Atomic(n) }

    /// True for the loop that brings the count to zero.
    func arrive() -> Bool { remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 }

    /// True exactly once, for whoever finishes first.
    func claimFinish() -> Bool { !finished.exchange(true, ordering: .acquiringAndReleasing) }
}
