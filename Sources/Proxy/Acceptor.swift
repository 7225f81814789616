import Dispatch
import EventLoop
import Glibc
import Stats
import TLS

/// Accepts on a listening socket shared by every loop. Each loop registers
/// the socket with EPOLLEXCLUSIVE, so the kernel wakes one loop per new
/// connection instead of all of them; the connection then lives on that loop.
final class Acceptor: EventHandler, @unchecked Sendable {
    let fd: Int32
    /// The loop context outlives every connection on it.
    unowned(unsafe) let ctx: LoopContext
    let sharedLimit: ConnectionLimit
    /// This listener's own cap (`listen … max_connections=N`), shared by the loops.
    let listenerLimit: ConnectionLimit
    /// The listener's address as configured, for per-listener stats.
    let address: String
    private var paused = false
    /// Operational log (stderr); descriptor exhaustion is reported at most every 10 s.
    let log: EventLog
    private var lastExhaustionLog: UInt64 = 0

    init(fd: Int32, ctx: LoopContext, limit: ConnectionLimit, listenerLimit: ConnectionLimit, address: String, log: EventLog) {
        self.log = log
        self.listenerLimit = listenerLimit
        self.fd = fd
        self.address = address
        self.ctx = ctx
        self.sharedLimit = limit
    }

    func start() {
        _ = ctx.loop.register(fd, events: EventLoop.readable, handler: self, exclusive: true)
    }

    func stop() {
        ctx.loop.deregister(fd)
    }

    func handleEvent(_ events: UInt32) {
        // Bounded batch: a flood of connections must not starve the loop's clients.
        for _ in 0..<64 {
            guard sharedLimit.tryAcquire() else {
                pause()
                return
            }
            guard listenerLimit.tryAcquire() else {
                sharedLimit.release()
                pause()
                return
            }
            var storage = sockaddr_storage()
            let accepted = Socket.accept(fd, peer: &storage)
            guard case .accepted(let cfd) = accepted else {
                sharedLimit.release()
                listenerLimit.release()
                if case .exhausted(let e) = accepted {
                    // Out of descriptors: stop watching for a moment instead of
                    // spinning on a listener that stays readable.
                    if lastExhaustionLog == 0 || ctx.loop.now - lastExhaustionLog > 10_000_000_000 {
                        lastExhaustionLog = ctx.loop.now
                        log(.error, "accept", "accept on \(address): \(Socket.errnoName(e)) (\(String(cString: strerror(e)))): pausing accepts for 100 ms at a time; raise the descriptor limit (ulimit -n) above max_connections plus backend connections")
                    }
                    pause()
                }
                return
            }
            let runtime = ctx.runtime
            ctx.count(address, .current)
            ctx.count(address, .total)
            #if !TETHER_NO_STATS
            ctx.loopStats.connectionsTotal += 1
            #endif
            var tls: TLSConnection? = nil
            if let context = runtime.tlsContexts[address] {
                guard let connection = context.makeConnection(fd: cfd) else {
                    Socket.abort(cfd)  // OpenSSL out of memory: refuse this one, keep going
                    ctx.count(address, .current, by: -1)
                    sharedLimit.release()
                    listenerLimit.release()
                    continue
                }
                tls = connection
            }
            let transport = ClientTransport(
                fd: cfd, tls: tls, peer: SocketAddress.peerText(&storage), listener: address, listenerLimit: listenerLimit)
            if let tls {
                TLSHandshake(transport, tls: tls, ctx: ctx).start()
            } else {
                ProxySession(transport, ctx: ctx, redirectsToHTTPS: runtime.redirectListeners.contains(address)).start()
            }
        }
    }

    /// Stops accepting for 100 ms (descriptor exhaustion or the connection cap).
    private func pause() {
        guard !paused else { return }
        paused = true
        ctx.loop.deregister(fd)
        ctx.loop.queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [weak self] in
            guard let self, !self.ctx.draining else { return }
            self.paused = false
            self.start()
        }
    }
}
